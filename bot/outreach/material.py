"""What outreach teams print for a campaign: its Telegram link, the Zalo instruction, the verification sentence and the
QR code. One place for each, used by `caunoi campaign link|qr` and by the console's campaign routes.

Telegram: `https://t.me/<bot>?start=CODE` opens the bot and sends `/start CODE` (channels.md: payload <= 64 chars
of A-Za-z0-9_-, which is exactly a campaign code).

Zalo: what was checked (November 2026, again on 2026-12-07 for #22, in every reference we could reach: channels.md,
Zalo's documented webhook examples as mirrored by integrations, SDK docs, public integrations' recorded payloads,
Zalo's OA help pages). `follow` events carry a `source` field, and the values seen are "oa_profile" (Zalo's documented
example), "zalo" (a follow recorded from a live OA in a public integration, 2025) and "testing_webhook" (the developer
console's test): none names a link, a QR code or a value of ours. No page documents a parameter of an OA link or QR
code (zalo.me/<OA id>) that reaches the `follow` or `user_send_text` event; integrations that append `?ref=` or
`?text=` to it call it a prototype, or copy the text to the clipboard in case it does not arrive. So a Zalo campaign
cannot be counted from the follow event, and works by a typed code instead: the poster says "nhắn mã CODE" to the
OA, and a person's first typed message that is exactly a running campaign's code (any case) starts the conversation
with that campaign (bot/outreach/typed_code.py). With CAUNOI_ZALO_CHOICES=numbers, numeric-only codes can clash with
the numbered menu answers: avoid them.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Literal

from bot.content import load_content
from bot.content.models import Outreach
from bot.settings import get_settings
from bot.state.campaigns import CODE, CampaignError

QrFormat = Literal["png", "svg"]
QR_FORMATS: tuple[QrFormat, ...] = ("png", "svg")
# Telegram usernames are 5-32 letters, digits and underscores; anything else would make a broken (or foreign) link.
BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
ZALO_NOTE = ("Zalo: no link parameter that reaches the bot could be verified for Zalo OA links, so on Zalo people "
             "type the code: print the Zalo line below; the first message {code} (any case) counts for the campaign.")


class LinkUnavailable(CampaignError):
    """The link cannot be made: the deployment has no (valid) official bot username."""


def official_bot(username: str) -> str:
    """The official Telegram username without "@"; LinkUnavailable when it is not set or not a username."""
    name = username.strip().lstrip("@")
    if not name:
        raise LinkUnavailable("CAUNOI_TELEGRAM_BOT_USERNAME is not set: the link needs the bot's official username")
    if not BOT_USERNAME.fullmatch(name):
        raise LinkUnavailable("CAUNOI_TELEGRAM_BOT_USERNAME is not a Telegram username (5-32 of A-Z a-z 0-9 _)")
    return name


def telegram_link(username: str, code: str) -> str:
    if not CODE.fullmatch(code):
        raise CampaignError("the code must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"https://t.me/{official_bot(username)}?start={code}"


def texts(content_dir: Path | None = None) -> Outreach:
    """What outreach prints beside a link (content/vi/dialogue.yml `outreach`); the deployment's content by default."""
    return load_content(content_dir or get_settings().content_dir).dialogue.outreach


def verification(username: str, content_dir: Path | None = None) -> str:
    """The sentence printed next to every link and QR code, so people can tell the real bot from an impersonator."""
    return texts(content_dir).verification.format(bot=official_bot(username))


def zalo_line(code: str, content_dir: Path | None = None) -> str:
    """What a poster says to Zalo users: message the code to the OA (content/vi/dialogue.yml)."""
    return texts(content_dir).zalo.format(code=code)


def qr_image(link: str, kind: QrFormat) -> bytes:
    """A QR code of `link` any phone camera opens: PNG (error correction M, 10 px modules) or SVG (paths, scalable)."""
    import qrcode
    import qrcode.image.svg

    buffer = io.BytesIO()
    if kind == "svg":
        qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    elif kind == "png":
        qrcode.make(link, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4).save(buffer)
    else:
        raise CampaignError("the QR code format must be png or svg")
    return buffer.getvalue()


def qr_format(path: Path) -> QrFormat:
    suffix = path.suffix.lower().lstrip(".")
    for kind in QR_FORMATS:
        if suffix == kind:
            return kind
    raise CampaignError("the file must end in .png or .svg (QR code) or .pdf (A5 poster)")
