"""The typed shapes of everything under `content/<language>/` that the bot shows or searches.

Frozen, so that the one loaded `Content` can be shared by every request of a process without anyone changing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

Status = Literal["verified", "unverified"]
STATUSES: tuple[Status, ...] = ("verified", "unverified")

# Directory types beyond the nine service types of gazetteer/service_types.yml (which the NLU extracts and
# the buttons label). `hotline`: a line to call that is not itself one kind of service (111 triages and forwards to
# all of them). `website`: a place to look something up (the DOLAB list of licensed enterprises, scam-site
# lookups); nobody asks for "a website" as a service, actions pick these by id.
EXTRA_TYPES: tuple[str, ...] = ("hotline", "website")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the content: the file, and what is wrong with it in a sentence."""

    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Province:
    """One of the 34 provinces since 1/7/2025, with the rough geometry of gazetteer/provinces.yml."""

    name: str
    bbox: tuple[float, float, float, float]  # lat_min, lon_min, lat_max, lon_max
    centroid: tuple[float, float]
    former: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def contains(self, lat: float, lon: float) -> bool:
        lat_min, lon_min, lat_max, lon_max = self.bbox
        return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


@dataclass(frozen=True)
class Entry:
    """One service in the directory. Only `verified` entries may ever be shown to a person."""

    id: str
    name: str
    type: str
    status: Status
    file: str  # where it was read, relative to the content folder: errors and imports point there
    province: str | None = None
    country: str | None = None  # Vietnamese country name, for entries abroad
    commune: str | None = None
    address: str | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    hours: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidential: bool = False
    source_urls: tuple[str, ...] = ()
    verified_at: date | None = None
    note: str | None = None  # for the people who maintain the entry; never shown

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @property
    def phone(self) -> str | None:
        return self.phones[0] if self.phones else None

    @property
    def source_url(self) -> str | None:
        return self.source_urls[0] if self.source_urls else None

    @property
    def public_address(self) -> str | None:
        """The address a person may be shown: never a confidential one (shelters are found by those they hide from)."""
        return None if self.confidential else self.address

    @property
    def national(self) -> bool:
        return self.province is None and self.country is None

    def as_dict(self) -> dict[str, Any]:
        """The entry as it is written in the directory files (phones and sources as lists only when several)."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        optional: dict[str, Any] = {
            "province": self.province, "country": self.country, "commune": self.commune, "address": self.address,
            "phone": _one_or_list(self.phones), "email": self.email, "website": self.website, "hours": self.hours,
            "lat": self.lat, "lon": self.lon, "confidential": self.confidential or None,
            "source_url": _one_or_list(self.source_urls), "verified_at": self.verified_at,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        data["status"] = self.status
        if self.note:
            data["note"] = self.note
        return data


def _one_or_list(values: tuple[str, ...]) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


@dataclass(frozen=True)
class ServiceType:
    """A kind of help (gazetteer/service_types.yml): its button label, and how to reach that kind of place anywhere
    in Vietnam when the directory has no verified local entry, with where that was read and when."""

    name: str
    label: str
    reach: str
    source_urls: tuple[str, ...]
    verified_at: date


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    publisher: str | None = None  # who published it, as people know them ("Bộ Tư pháp")
    published: str | None = None  # when, as people read a date ("7/2025")

    @property
    def line(self) -> str:
        """The one short line a person is shown: publisher, date and the page itself."""
        who = ", ".join(part for part in (self.publisher, self.published) if part) or self.title
        return f"{who} — {self.url}"


@dataclass(frozen=True)
class Section:
    """One part of an article that answers one question; `id` is "" for the text before the first heading."""

    id: str
    title: str  # the heading, also the label of the button that shows it
    text: str
    asks: tuple[str, ...] = ()  # phrases of the questions it answers, matched with and without diacritics
    source: int = 0  # which of the article's sources its facts come from


@dataclass(frozen=True)
class Article:
    """A short guidance text with the sources every fact in it comes from, in sections that each answer one
    question (an article without `## ` headings is one section)."""

    slug: str
    title: str
    summary: str
    sources: tuple[Source, ...]
    verified_at: date
    body: str  # the text as written, headings included
    related: tuple[str, ...] = ()  # slugs of articles to offer next ("xem thêm")
    sections: tuple[Section, ...] = ()  # the lead (id "") first, then each `## ` section in order
    button: str = ""  # a short label for a "xem thêm" button; the title when not given

    @property
    def lead(self) -> Section:
        return self.sections[0]

    @property
    def parts(self) -> tuple[Section, ...]:
        """The sections after the lead, each with an id."""
        return self.sections[1:]

    def section(self, section_id: str) -> Section | None:
        return next((section for section in self.sections if section.id == section_id), None)

    def source_of(self, section: Section) -> Source:
        return self.sources[section.source] if section.source < len(self.sources) else self.sources[0]


@dataclass(frozen=True)
class GatewayTexts:
    """What the gateway says by itself, when Rasa cannot answer."""

    degraded: str
    empty: str
    # Any further texts in gateway/messages.yml, so a channel can add one without a model change.
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
