"""Zalo Official Account: verifying and reading webhook events, posting customer-service messages.

Buttons (CAUNOI_ZALO_CHOICES=buttons, the default): a message with options is a customer-service message with a
button attachment, `message.attachment = {"type": "template", "payload": {"buttons": [...]}}` beside its text, each
option an `oa.query.hide` button whose payload is the option's short code (bot/channels/buttons.py). A tap makes
Zalo send that payload to the OA as a `user_send_text` message from the person, hidden from the chat on their phone
(nothing of their choices stays on screen, as with Telegram's inline keyboards); the dispatcher maps it back with
`ButtonMap.take`. At most MAX_BUTTONS a message; more go on follow-up messages. Where each shape was checked:
README.md ("Zalo message types") and tests/channels/fixtures/zalo_shapes.json.
Numbers (CAUNOI_ZALO_CHOICES=numbers): options are a numbered list under the text and a bare number in the person's
next message picks one, for an OA where the button attachment is refused. Should Zalo refuse a button message all
the same (-201, -233), its options go out again as numbers at once, and so does every later message of that
process: the person never loses a message to the shape of its buttons.
Location: no OA button or template asks for a location (none among the documented button types), so a location
request adds a short how-to to the text.
Message text is cut at 2000 characters (the documented limit of a CS message's text, buttons or not).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.base import (
    FetchFailed,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    TooLarge,
    Undeliverable,
)
from bot.channels.buttons import ButtonMap
from bot.channels.notices import UNREADABLE, Notes
from bot.channels.splitting import split_text
from bot.channels.zalo_auth import TokenUnavailable, ZaloTokens
from bot.messages import Inbound, Location, Outbound
from bot.settings import Secret

log = logging.getLogger(__name__)
MAX_TEXT = 2000
# Buttons on one message: no limit is documented; Zalo's own examples show five, and an integration notes "Zalo
# limit: 5 buttons" (README.md). A title is cut at 100 characters (the documented limit for query buttons).
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
CHOICES = ("buttons", "numbers")  # CAUNOI_ZALO_CHOICES
# The reply window (channels.md, from Zalo's OA help centre): within 48 h of the person's last message the OA may
# reply, 8 replies free; later, Zalo refuses with -305. The console shows it and refuses late replies.
REPLY_WINDOW_SECONDS = 48 * 3600
FREE_REPLIES = 8
SIGNATURE_HEADER = "X-ZEvent-Signature"
TOKEN_EXPIRED = -216
RATE_LIMITED = -32
# "<field> is invalid!", "message type is invalid or not support": the OA's plan or Zalo refusing the button
# attachment itself. The options then go out again as numbers (and from then on, in this process).
BUTTONS_REFUSED = (-201, -233)
CANNOT_REPLY = {-213: "the person does not follow the OA", -230: "no interaction in the last 7 days",
                -305: "the 48-hour reply window is closed", -311: "out of message quota", -211: "out of quota"}
ATTACHMENT_EVENTS = {"user_send_image": "photo", "user_send_sticker": "sticker", "user_send_file": "file",
                     "user_send_audio": "voice", "user_send_video": "video", "user_send_link": "link",
                     "user_send_gif": "gif", "user_send_business_card": "contact"}
DELETE_COMMANDS = ("/xoa", "/xóa")
# The attachments the gateway fetches (bot/media/), with the type Zalo serves them as (a file's: from its name).
FETCHED: dict[str, str | None] = {"user_send_image": "image/jpeg", "user_send_audio": "audio/aac",
                                  "user_send_file": None}
# Downloads follow no redirect beyond these, and take this long at most.
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# The `msg_id` of every event Zalo's developer console sends with "test webhook" (text "This is testing message",
# the same sender each time): not an id. Keyed on it, every test after the first was dropped as a redelivery for 48
# hours and a deployer testing the OA saw a dead bot; such events are told apart by their timestamp (`event_key`).
CONSOLE_MSG_ID = "This is message id"
_EVENT_NAME = re.compile(r"[a-z_]{1,40}")


def verify_signature(raw_body: bytes, header: str | None, app_id: str, oa_secret: Secret, timestamp: str) -> bool:
    """`mac=<sha256 hex of app_id + raw body + timestamp + OA secret key>` (plain SHA-256, not HMAC)."""
    if not header or not app_id or not oa_secret or not timestamp:
        return False
    received = header.strip()
    received = received[4:] if received.lower().startswith("mac=") else received
    expected = hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret.reveal().encode())
    return hmac.compare_digest(received.lower().encode(), expected.hexdigest().encode())


def timestamp_problem(timestamp: str, now: float, window: float, skew: float) -> str | None:
    """Why a signed event's `timestamp` (ms, as Zalo sends it) is refused, or None. The signature proves who made an
    event, not when it was sent: one captured and sent again later would pass it. Within `window` seconds the
    dedupe key of its first delivery stops it; after, this does. A date more than `skew` seconds ahead would stretch
    the window past the dedupe key's life, so it is refused too."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return "event timestamp is not a number"
    seconds = int(timestamp) / 1000
    if seconds < now - window:
        return "event too old"
    if seconds > now + skew:
        return "event timestamp is in the future"
    return None


# `"timestamp": "1764400007000"` (or a bare number) anywhere in the raw body. The signature covers the body's own
# timestamp, so it must be found before the body is parsed; a JSON string cannot hold `"timestamp"` followed by a
# colon unescaped, so only members match. Every distinct one is tried (a nested member could come first).
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})"?')
MAX_TIMESTAMPS_TRIED = 4


def signed_timestamp(raw_body: bytes, header: str | None, app_id: str, oa_secret: Secret) -> str | None:
    """The body's timestamp that its signature covers, found without parsing the body; None when unsigned."""
    tried: list[str] = []
    for match in _TIMESTAMP.finditer(raw_body):
        stamp = match.group(1).decode()
        if stamp in tried:
            continue
        if verify_signature(raw_body, header, app_id, oa_secret, stamp):
            return stamp
        tried.append(stamp)
        if len(tried) >= MAX_TIMESTAMPS_TRIED:
            return None
    return None


def timestamp_of(data: Mapping[str, Any]) -> str:
    value = data.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value)


@dataclass(frozen=True)
class ZaloEvent:
    """What a webhook event asks of the gateway: a message to process, and/or whether sending may go on."""

    dedupe: str
    conversation_id: str
    inbound: Inbound | None = None
    following: bool | None = None  # True on follow, False on unfollow


def parse_event(data: Mapping[str, Any]) -> ZaloEvent | None:
    """The event as the gateway handles it; None for events it ignores (seen/received receipts, the OA's own).

    A person's message that cannot be read (no text in a text event) comes back as an `unreadable` event, which the
    webhook answers with the emergency numbers; one without a sender cannot be answered and is only logged."""
    name = str(data.get("event_name") or "")
    if name in ("follow", "unfollow"):
        user = _id(data.get("follower")) or _id(data.get("sender"))
        if not user:
            return None
        conversation_id = f"zalo:{user}"
        dedupe = event_key(name, user, "", timestamp_of(data))
        if name == "unfollow":
            return ZaloEvent(dedupe, conversation_id, following=False)
        greet = Inbound(channel="zalo", conversation_id=conversation_id, message_id=dedupe, text="[follow]",
                        intent="/greet")
        return ZaloEvent(dedupe, conversation_id, greet, following=True)
    if not name.startswith("user_send_"):
        log.debug("zalo event ignored name=%s", name if _EVENT_NAME.fullmatch(name) else "other")
        return None
    user = _id(data.get("sender"))
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    assert isinstance(message, dict)
    if not user:
        log.warning("zalo event without a sender name=%s: nobody to answer", name)
        return None
    msg_id = real_msg_id(message)
    dedupe = event_key(name, user, msg_id, timestamp_of(data))
    conversation_id = f"zalo:{user}"
    base: dict[str, Any] = {"channel": "zalo", "conversation_id": conversation_id, "message_id": msg_id or dedupe}
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    assert isinstance(text, str)
    if name == "user_send_text":
        if not isinstance(message.get("text"), str):
            return ZaloEvent(dedupe, conversation_id, Inbound(**base, event=UNREADABLE))
        if text.strip().lower() in DELETE_COMMANDS:
            return ZaloEvent(dedupe, conversation_id, Inbound(**base, text=text.strip(), intent="/delete_my_data"))
        return ZaloEvent(dedupe, conversation_id, Inbound(**base, text=text))
    if name == "user_send_location":
        location = find_location(message.get("attachments") or message)
        inbound = Inbound(**base, location=location) if location else Inbound(**base, event="location_unreadable")
        return ZaloEvent(dedupe, conversation_id, inbound)
    kind = ATTACHMENT_EVENTS.get(name, "file")
    return ZaloEvent(dedupe, conversation_id, Inbound(**base, attachment=kind, text=text,
                                                     **attached_file(name, message.get("attachments"))))


def attached_file(name: str, attachments: Any) -> dict[str, Any]:
    """The download of an image, voice note or file: `file_ref` (the payload's URL, https only), `file_size` when
    Zalo gives it (files), and `mime` (images are JPEG on Zalo's CDN; a file's type is its extension)."""
    if name not in FETCHED or not isinstance(attachments, list) or not attachments:
        return {}
    first: dict[str, Any] = attachments[0] if isinstance(attachments[0], dict) else {}
    payload: dict[str, Any] = first["payload"] if isinstance(first.get("payload"), dict) else {}
    url = payload.get("url")
    if not (isinstance(url, str) and url.startswith("https://")):
        return {}
    size = payload.get("size")
    return {"file_ref": url, "file_size": int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None,
            "mime": FETCHED[name] or _mime_of(str(payload.get("type") or payload.get("name") or ""))}


def _mime_of(name: str) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}.get(extension)


def real_msg_id(message: Mapping[str, Any]) -> str:
    """The message's own id, "" when it has none that is one (Zalo's console sends the same words every time)."""
    value = message.get("msg_id")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    value = str(value).strip()
    return "" if value == CONSOLE_MSG_ID else value


def event_key(name: str, user: str, msg_id: str, timestamp: str) -> str:
    """What tells one event from another, for dedupe. A real `msg_id` names the message, so a redelivery has the same
    key whatever else it carries; without one (the console's test events, an event that has no id) the event's
    millisecond timestamp, which its signature covers, tells two events of one person apart."""
    return f"{name}:{user}:{msg_id or timestamp}"


def unreadable_event(data: Mapping[str, Any]) -> ZaloEvent | None:
    """For an event the parser failed on: the sender, if one can be found, to be told their message was not read."""
    user = _id(data.get("sender"))
    name = str(data.get("event_name") or "")
    if not user or not name.startswith("user_send_"):
        return None
    dedupe = event_key(name, user, "", timestamp_of(data))
    return ZaloEvent(dedupe, f"zalo:{user}", Inbound(channel="zalo", conversation_id=f"zalo:{user}",
                                                     message_id=dedupe, event=UNREADABLE))


def _id(node: Any) -> str:
    """Zalo ids are 64-bit: kept as strings, whatever type they arrive as."""
    value = node.get("id") if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value).strip()


_LATITUDE = ("latitude", "lat")
_LONGITUDE = ("longitude", "long", "lng", "lon")


def find_location(node: Any, depth: int = 0) -> Location | None:
    """Coordinates wherever the event put them: `payload.coordinates.latitude`, `payload.latitude`, `lat`/`long`,
    numbers or strings, or a "lat,long" string under `coordinates`."""
    if depth > 5:
        return None
    if isinstance(node, list):
        for item in node:
            found = find_location(item, depth + 1)
            if found:
                return found
        return None
    if not isinstance(node, dict):
        return None
    latitude = next((node[key] for key in _LATITUDE if key in node), None)
    longitude = next((node[key] for key in _LONGITUDE if key in node), None)
    if latitude is not None and longitude is not None:
        return _location(latitude, longitude)
    coordinates = node.get("coordinates")
    if isinstance(coordinates, str) and coordinates.count(",") == 1:
        return _location(*coordinates.split(","))
    for value in node.values():
        found = find_location(value, depth + 1)
        if found:
            return found
    return None


def _location(latitude: Any, longitude: Any) -> Location | None:
    try:
        lat, lon = float(str(latitude).strip()), float(str(longitude).strip())
    except ValueError:
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0):
        return Location(lat, lon)
    return None


def message_body(user_id: str, text: str, buttons: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The JSON of one customer-service message: its text and, when given, (title, code) buttons that send the code
    back hidden (`oa.query.hide`)."""
    message: dict[str, Any] = {"text": text}
    if buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": _title(title), "type": "oa.query.hide", "payload": code} for title, code in buttons]}}
    return {"recipient": {"user_id": user_id}, "message": message}


def _title(title: str) -> str:
    title = title.strip()
    return title if len(title) <= MAX_BUTTON_TITLE else title[: MAX_BUTTON_TITLE - 1].rstrip() + "…"


class ZaloTransport:
    channel = "zalo"
    unfollows = True
    # Choices come back as messages the person sends, in both modes: a bare number, or a button's code.
    numbered_choices = True

    def __init__(self, http: httpx.AsyncClient, api_url: str, tokens: ZaloTokens, buttons: ButtonMap, notes: Notes,
                 choices: str = "buttons"):
        if choices not in CHOICES:
            raise ValueError(f"choices must be one of {', '.join(CHOICES)}")
        self._http = http
        self._url = f"{api_url}/v3.0/oa/message/cs"
        self._tokens = tokens
        self._buttons = buttons
        self._notes = notes
        self._numbered = choices == "numbers"
        self._refused = False  # Zalo refused a button message: options go out numbered from then on

    async def fetch(self, inbound: Inbound, limit: int) -> bytes:
        """The attachment from Zalo's CDN (the URL of a signed event), streamed and cut off past `limit` bytes."""
        url = inbound.file_ref
        if not url or not url.startswith("https://"):
            raise FetchFailed("no file")
        if inbound.file_size is not None and inbound.file_size > limit:
            raise TooLarge("size")
        try:
            async with self._http.stream("GET", url, timeout=FETCH_TIMEOUT) as response:
                if response.status_code != 200:
                    raise FetchFailed(f"zalo: HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise TooLarge("content-length")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise TooLarge("downloaded")
        except httpx.HTTPError as error:
            raise FetchFailed(f"zalo: {type(error).__name__}") from None
        return bytes(data)

    def parts(self, message: Outbound) -> list[Outbound]:
        """The text (with the location how-to) in pieces; the options ride on the last one, as buttons (five to a
        message, more on follow-ups) or as a numbered list in the text."""
        if self._numbered:
            return self._numbered_parts(message)
        blocks = [message.text] if message.text else []
        if message.request_location:
            blocks.append(self._notes.location_hint_zalo)
        text = "\n\n".join(blocks) or ("👇" if message.buttons else "")
        pieces = [Outbound(piece, sensitive=message.sensitive) for piece in split_text(text, MAX_TEXT)]
        groups = [message.buttons[start:start + MAX_BUTTONS] for start in range(0, len(message.buttons), MAX_BUTTONS)]
        if groups:
            pieces[-1] = Outbound(pieces[-1].text, groups[0], sensitive=message.sensitive)
            pieces += [Outbound(self._notes.more_choices, group, sensitive=message.sensitive) for group in groups[1:]]
        return pieces

    def _numbered_parts(self, message: Outbound) -> list[Outbound]:
        blocks = [message.text] if message.text else []
        if message.buttons:
            blocks.append("\n".join(f"{number}. {button.title}" for number, button in enumerate(message.buttons, 1)))
            blocks.append(self._notes.choose_by_number)
        if message.request_location:
            blocks.append(self._notes.location_hint_zalo)
        pieces = [Outbound(piece) for piece in split_text("\n\n".join(blocks), MAX_TEXT)]
        pieces[-1] = Outbound(pieces[-1].text, message.buttons)
        return pieces

    async def post(self, conversation_id: str, part: Outbound) -> None:
        user_id = conversation_id.removeprefix("zalo:")
        if part.buttons and not self._numbered and not self._refused:
            codes = await self._buttons.codes(conversation_id, part.buttons)
            body = message_body(user_id, part.text, [(b.title, code) for b, code in zip(part.buttons, codes,
                                                                                         strict=True)])
            error = await self._send(body)
            if error not in BUTTONS_REFUSED:
                return self._raise_for(error)
            log.warning("zalo refused the buttons (error %s): options go out as numbers from now on", error)
            self._refused = True
        if part.buttons and not self._numbered:  # button parts, Zalo refusing buttons: their options numbered
            # A "Hoặc chọn:" part continues the numbers of the part before it (the same message's options).
            first = await self._buttons.offer(conversation_id, part.buttons,
                                              extend=part.text == self._notes.more_choices)
            error = await self._send(message_body(user_id, self._with_numbers(part, first)))
            return self._raise_for(error)
        error = await self._send(message_body(user_id, part.text))
        if error == 0 and part.buttons:  # numbered parts: the list is in the text
            await self._buttons.offer(conversation_id, part.buttons)
        return self._raise_for(error)

    @staticmethod
    def _raise_for(error: int) -> None:
        """Nothing for 0 (sent); else the `DeliveryError` for Zalo's error code."""
        if error == 0:
            return
        if error == RATE_LIMITED:
            raise RetryLater("zalo -32 rate limited")
        if error in CANNOT_REPLY:
            raise Undeliverable(f"zalo {error}: {CANNOT_REPLY[error]}")
        if error == TOKEN_EXPIRED:
            raise TemporaryFailure("zalo -216: access token rejected after a refresh")
        raise PermanentFailure(f"zalo error {error}")

    def _with_numbers(self, part: Outbound, first: int) -> str:
        """A button part as text with its options numbered from `first`; the text is cut when all would not fit."""
        options = "\n".join(f"{number}. {button.title}" for number, button in enumerate(part.buttons, first))
        tail = f"{options}\n\n{self._notes.choose_by_number}"
        room = MAX_TEXT - len(tail) - 2
        text = part.text if len(part.text) <= room else part.text[: room - 1].rstrip() + "…"
        return f"{text}\n\n{tail}"

    async def _send(self, body: dict[str, Any]) -> int:
        """Posts with the current token, once more with a fresh one when Zalo says it expired; Zalo's error code."""
        token = await self._token()
        error = await self._post(body, token)
        if error == TOKEN_EXPIRED:
            token = await self._token(stale=token)
            error = await self._post(body, token)
        return error

    async def _token(self, stale: str | None = None) -> str:
        try:
            return await (self._tokens.refresh(stale) if stale is not None else self._tokens.access_token())
        except TokenUnavailable as error:
            if error.permanent:
                raise PermanentFailure(f"zalo token: {error.reason}") from None
            raise TemporaryFailure(f"zalo token: {error.reason}") from None

    async def _post(self, body: dict[str, Any], token: str) -> int:
        """Zalo's error code for the post (0: sent)."""
        try:
            response = await self._http.post(self._url, json=body, headers={"access_token": token})
        except httpx.TimeoutException:
            raise TemporaryFailure("zalo timeout") from None
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"zalo {type(error).__name__}") from None
        if response.status_code == 429:
            raise RetryLater("zalo HTTP 429", _retry_after(response))
        if response.status_code >= 500:
            raise TemporaryFailure(f"zalo HTTP {response.status_code}")
        try:
            data = response.json()
            return int(data.get("error", 0))
        except (ValueError, AttributeError, TypeError):
            raise PermanentFailure(f"zalo HTTP {response.status_code} with an unreadable body") from None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
