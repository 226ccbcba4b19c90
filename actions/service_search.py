"""Finding services for a person: by shared location, by province, or abroad. Used by two actions.

Each search is given the live directory (`actions.common.live_directory`, bot/state/directory.py) read at the start
of the turn, so an entry an editor verified in the console is found on the next message, with no restart."""

from __future__ import annotations

import difflib
import functools
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.common import content, dialogue, send
from bot.content.directory import Directory
from bot.content.directory import entry_text as format_entry
from bot.content.models import EntryLines
from bot.messages import Location
from nlu.text import fold

MAX_RESULTS = 3
# A place further than this from a shared point is not "near you": a search would otherwise offer someone in Cà Mau
# the only entry with coordinates, in Hà Nội.
NEAR_KM = 60.0


def entry_text(entry: Any, labels: EntryLines, distance_km: float | None = None) -> str:
    """A directory entry as a person sees it (bot/content/directory.py); never a confidential address."""
    return format_entry(entry, labels, content().service_labels, distance_km)


def reply_abroad(dispatcher: CollectingDispatcher, domain: dict[str, Any], country: str | None,
                 directory: Directory) -> None:
    """The consular line first; then what the directory has verified for that country (its embassy)."""
    if country is None:
        send(dispatcher, domain, "utter_services_abroad_unknown", protect=True)
        return
    send(dispatcher, domain, "utter_services_abroad", protect=True, country=country)
    labels = dialogue().entry_lines
    embassies = [entry for entry in directory.abroad(country) if entry.country == country]
    for entry in embassies[:MAX_RESULTS]:
        dispatcher.utter_message(text=entry_text(entry, labels))


def reply_in_vietnam(dispatcher: CollectingDispatcher, domain: dict[str, Any], *, service_type: str | None,
                     province: str | None, location: Location | None, directory: Directory) -> None:
    """Verified local entries of the kind; where there is none, the kind of place to go to and how; the national
    entries of the kind beside them (113, 1800 1233, 115, the consular line); and 111, always."""
    labels = dialogue().entry_lines
    if location is None and not province:
        raise ValueError("a search needs a province or a location")
    lines = local_lines(directory, service_type, province, location, labels)
    if location is not None and not province:
        where = labels.where_near
    else:
        where = labels.where_province.format(province=province)
    kind = content().service_types.get(service_type or "")
    if lines:
        dispatcher.utter_message(response="utter_services_found", where=where)
        dispatcher.utter_message(text="\n".join(lines))
    elif kind is not None:
        dispatcher.utter_message(response="utter_services_kind", where=where, reach=kind.reach)
    else:
        dispatcher.utter_message(response="utter_services_none", where=where)
    national = directory.national(service_type) if service_type else ()
    if national:
        dispatcher.utter_message(response="utter_services_national",
                                 lines="\n".join(entry_text(entry, labels) for entry in national))
    dispatcher.utter_message(response="utter_always_111")


def local_lines(directory: Directory, service_type: str | None, province: str | None, location: Location | None,
                labels: EntryLines) -> list[str]:
    """Entries near a shared point (with their distance), then the rest of its province's; at most MAX_RESULTS.

    Most entries have no coordinates (a centre's page gives an address, not a point), so a shared point also
    searches the province it lies in: someone in Hồ Chí Minh who shares a location finds the city's legal aid centre.
    """
    lines: list[str] = []
    shown: set[str] = set()
    if location is not None:
        for entry, km in directory.near(location.latitude, location.longitude, type=service_type, limit=MAX_RESULTS):
            if km <= NEAR_KM:
                lines.append(entry_text(entry, labels, km))
                shown.add(entry.id)
    if province:
        for entry in directory.in_province(province, type=service_type, limit=MAX_RESULTS + len(shown)):
            if entry.id not in shown and len(lines) < MAX_RESULTS:
                lines.append(entry_text(entry, labels))
    return lines


@functools.lru_cache(maxsize=1)
def place_names() -> dict[str, str]:
    """Every province name, former name and alias (folded) → the current province."""
    names: dict[str, str] = {}
    for province in content().gazetteer.provinces:
        for surface in [province.name, *province.former, *province.aliases]:
            names.setdefault(fold(surface.lower()), province.name)
    return names


def suggestions(text: str, limit: int = 3) -> list[str]:
    """Current provinces whose names look like some words of what the person typed ("o ha tay" → Hà Nội?)."""
    names = place_names()
    words = fold(text.lower()).split()
    windows = {" ".join(words[i : i + size]) for size in (1, 2, 3) for i in range(len(words) - size + 1)}
    scored: dict[str, float] = {}
    for window in windows:
        for match in difflib.get_close_matches(window, list(names), n=limit, cutoff=0.75):
            ratio = difflib.SequenceMatcher(None, window, match).ratio()
            scored[names[match]] = max(scored.get(names[match], 0.0), ratio)
    best = max(scored.values(), default=0.0)
    close = [name for name in scored if scored[name] >= best - 0.08]
    return sorted(close, key=lambda name: -scored[name])[:limit]
