"""The typed shapes of everything under `content/<language>/` that the bot shows or searches.

Frozen, so that the one loaded `Content` can be shared by every request of a process without anyone changing it.
The gazetteer's shapes (`Province`, `ServiceType`) and `Problem` are nlu/tables' (read there, because the NLU runs
inside Rasa and is built from the same files), and named here too so that the assistant finds all its models in one
place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from nlu.tables import Problem as Problem
from nlu.tables import Province as Province
from nlu.tables import ServiceType as ServiceType

Status = Literal["verified", "unverified"]
STATUSES: tuple[Status, ...] = ("verified", "unverified")

# Directory types beyond the nine service types of gazetteer/service_types.yml (which the NLU extracts and
# the buttons label). `hotline`: a line to call that is not itself one kind of service (111 triages and forwards to
# all of them). `website`: a place to look something up (the DOLAB list of licensed enterprises, scam-site
# lookups); nobody asks for "a website" as a service, actions pick these by id.
EXTRA_TYPES: tuple[str, ...] = ("hotline", "website")


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


# dialogue.yml: what the actions, the gateway and outreach say and weigh beyond whole responses.


@dataclass(frozen=True)
class EntryLines:
    """Lines of a directory entry as the service finder shows them."""

    phone: str  # {phone}
    hours: str  # {hours}
    address: str  # {address}
    website: str  # {website}
    distance: str  # {km}
    where_province: str  # {province}
    where_near: str
    shared_point: str


@dataclass(frozen=True)
class ArticleLabels:
    more: str  # {title}: a "xem thêm" button


@dataclass(frozen=True)
class Poster:
    title: str
    invitation: str
    scan: str  # {bot}
    emergency: str


@dataclass(frozen=True)
class Outreach:
    """What outreach teams print beside a campaign's link and QR code."""

    verification: str  # {bot}
    zalo: str  # {code}
    poster: Poster


@dataclass(frozen=True)
class DeletedLabels:
    """What "Đã xóa: …" lists."""

    messages: str  # {count}
    location: str
    queue: str
    campaign: str
    nothing: str


@dataclass(frozen=True)
class SummaryTexts:
    """The operator's one-paragraph summary (only what the bot understood, never the person's words)."""

    intents: Mapping[str, str]
    default: str
    where_abroad: str  # {country}
    where_province: str  # {province}
    where_unknown: str
    signs: str  # {reasons}
    turns: str  # {count} {channel}


@dataclass(frozen=True)
class JobCheck:
    """The job-offer check's questions, phrases and weights (actions/job_check.py reads, job_rules.py weighs)."""

    scam_region: tuple[str, ...]
    korea: str
    thailand: str
    domestic: str  # job_country's value for work inside Vietnam
    questions: Mapping[str, tuple[str, ...]]  # by kind of offer, in the order asked
    max_questions: int
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]]  # slot -> value -> phrases; the first value listed wins
    when_negated: Mapping[str, str]
    negations: tuple[str, ...]
    answers: Mapping[str, tuple[str, ...]]  # stop, unknown, no, yes -> whole answers
    answers_accented_only: tuple[str, ...]
    yes_no: Mapping[str, Mapping[str, str]]  # question -> {"yes": value, "no": value}
    open_questions: tuple[str, ...]
    interrupt_intents: tuple[str, ...]
    interrupt_confidence: float
    offer_terms: tuple[str, ...]  # triage signs that in a picture of an offer are its terms, not danger now
    strong_flags: tuple[str, ...]
    scam_at: int
    unclear_at: int
    unknown_labels: Mapping[str, str]  # question -> what to ask the recruiter


@dataclass(frozen=True)
class SafetyRule:
    """A safety message in place of the plain danger message when one of `signs` is found."""

    signs: tuple[str, ...]
    response: str  # + _vietnam, _abroad or _unknown
    over_report: bool = False  # also in place of the message for a report about someone else


@dataclass(frozen=True)
class SignAnswer:
    """What a sign answered on its own gets: a response (+ the place suffix) or a guidance article."""

    response: str | None = None
    article: str | None = None


@dataclass(frozen=True)
class Dialogue:
    entry_lines: EntryLines
    article_for_intent: Mapping[str, str]
    articles: ArticleLabels
    outreach: Outreach
    deleted: DeletedLabels
    summary: SummaryTexts
    job_check: JobCheck
    withdraw: tuple[str, ...]  # "I no longer want to wait", while waiting for a person
    safety_for_sign: tuple[SafetyRule, ...]  # first match wins
    answer_for_sign: Mapping[str, SignAnswer]
