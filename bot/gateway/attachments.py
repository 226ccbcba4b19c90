"""What the gateway does with a photo, a file or a voice note.

A picture (a photo, an image file) is fetched from the platform and its words read (bot/media/): a job ad starts the
job-offer check with its words (Rasa gets `/check_job_offer` and the words in the metadata, `picture`, which
actions/prefill_job_check.py reads) after the person is told what was read — unless the caption or the picture shows
danger (an offer's own terms, like a contract keeping the passport, are for the check to name); other words go to
Rasa like a typed message, so that a threat in a screenshot raises the risk; a picture with nothing readable is
answered kindly with a request for the key facts in words. A voice note cannot be heard by the bot: it is kept for a
human (bot/state/attachments.py) and the person is asked to write; when it is the first message of the conversation, or
the conversation already shows risk, a human is asked to listen (the queue). Anything else keeps the old answer
(text only). A caption goes on to Rasa like typed text.

While a human holds the conversation or it waits for one, photos, files and voice notes are fetched, pictures lose
their metadata (bot/media/exif.py), and they are kept sealed for the operator; the person is told a human will look
or listen.

Nothing read from a picture goes to the log: only its kind, its size in characters and the time it took.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.channels.base import FetchesFiles, FetchFailed, TooLarge
from bot.channels.notices import Notes
from bot.gateway.delivery import Delivery
from bot.media.exif import without_metadata
from bot.media.ocr import MAX_BYTES, PictureReader, PictureUnreadable
from bot.media.pictures import Picture, PictureKinds, picture_kinds
from bot.messages import Inbound, Outbound
from bot.privacy import log_id
from bot.state.attachments import Attachment, AttachmentStore, attachment_id
from bot.state.queue import RISK_ORDER, Case, HandoffQueue
from bot.state.transcript import Transcript
from bot.state.whereabouts import Whereabouts
from nlu.conversation import ConversationRisk
from nlu.guard import clean_typed_text

log = logging.getLogger(__name__)
VOICE_NOTE = "Tin nhắn thoại cần người nghe (voice note)"
JOB_CHECK = "/check_job_offer"
RAISED = RISK_ORDER.index("medium")
HISTORY = 50  # the person's last entries weighed for risk
KEPT = ("photo", "voice", "audio", "document", "file")


@dataclass(frozen=True)
class Ask:
    """What goes on to Rasa after the attachment: the message (the words read, or the caption) and metadata."""

    inbound: Inbound
    metadata: dict[str, Any]


def is_picture(inbound: Inbound) -> bool:
    return inbound.attachment == "photo" or (inbound.attachment in ("document", "file")
                                              and (inbound.mime or "").startswith("image/"))


class Attachments:
    def __init__(self, notes: Notes, reader: PictureReader, kinds: PictureKinds, risk: ConversationRisk,
                 queue: HandoffQueue, transcript: Transcript, store: AttachmentStore, log_key: str = "",
                 limit: int = MAX_BYTES, whereabouts: Whereabouts | None = None):
        self._notes = notes
        self._whereabouts = whereabouts
        self._store = store
        self._reader = reader
        self._kinds = kinds
        self._risk = risk
        self._queue = queue
        self._transcript = transcript
        self._log_key = log_key
        self._limit = limit

    @classmethod
    def build(cls, content_dir: Path, notes: Notes, risk: ConversationRisk, queue: HandoffQueue,
              transcript: Transcript, store: AttachmentStore, log_key: str = "",
              whereabouts: Whereabouts | None = None) -> Attachments:
        return cls(notes, PictureReader(), picture_kinds(content_dir), risk, queue, transcript, store, log_key,
                   whereabouts=whereabouts)

    def close(self) -> None:
        self._reader.close()

    @staticmethod
    def kept(inbound: Inbound, mode: str) -> str | None:
        """The id the attachment is kept under, for its transcript entry: in a handoff, and every voice note."""
        if not inbound.file_ref or inbound.attachment not in KEPT:
            return None
        return attachment_id(inbound.message_id) if mode != "bot" or inbound.attachment == "voice" else None

    async def in_handoff(self, inbound: Inbound, sender: Delivery) -> None:
        """Kept for the operator; the person is told a human will look or listen."""
        conversation = inbound.conversation_id
        if self.kept(inbound, "human") is None:
            await sender.send(conversation, Outbound(self._notes.text_only))
            return
        note = await self._keep(inbound, sender)
        if note is not None:
            await sender.send(conversation, Outbound(note))

    async def _keep(self, inbound: Inbound, sender: Delivery) -> str | None:
        """Fetches and stores the attachment; what to tell the person (None: nothing to say)."""
        conversation = inbound.conversation_id
        transport = sender.transport
        if not isinstance(transport, FetchesFiles):
            return self._notes.text_only
        try:
            data = await transport.fetch(inbound, self._limit)
        except TooLarge:
            return self._notes.picture_too_large
        except FetchFailed as error:
            log.warning("attachment not fetched conversation=%s reason=%s", log_id(conversation, self._log_key),
                        type(error).__name__)
            return self._notes.attachment_failed
        kept, mime, place = without_metadata(data, inbound.mime or "application/octet-stream")
        await self._store.put(conversation, inbound.message_id,
                              Attachment(str(inbound.attachment), mime, kept, place))
        log.info("attachment kept conversation=%s kind=%s bytes=%d", log_id(conversation, self._log_key),
                 inbound.attachment, len(kept))
        return self._notes.attachment_kept_voice if inbound.attachment in ("voice", "audio") \
            else self._notes.attachment_kept

    async def in_bot_mode(self, inbound: Inbound, sender: Delivery) -> Ask | None:
        """Answers the attachment; what Rasa should get next, None for nothing (the transcript has it already)."""
        conversation = inbound.conversation_id
        caption = Ask(dataclasses.replace(inbound, attachment=None), {}) if inbound.text.strip() else None
        transport = sender.transport
        if inbound.attachment == "voice":
            await self._voice(inbound, sender)
            return caption
        if not (is_picture(inbound) and inbound.file_ref and isinstance(transport, FetchesFiles)):
            await sender.send(conversation, Outbound(self._notes.text_only))
            return caption
        try:
            data = await transport.fetch(inbound, self._limit)
            reading = await self._reader.read(data)
        except TooLarge:
            await sender.send(conversation, Outbound(self._notes.picture_too_large))
            return caption
        except (FetchFailed, PictureUnreadable) as error:
            log.warning("picture not read conversation=%s reason=%s", log_id(conversation, self._log_key),
                        type(error).__name__)
            await sender.send(conversation, Outbound(self._notes.picture_unreadable))
            return caption
        words = " ".join(part for part in (inbound.text.strip(), reading.text) if part)
        picture = self._kinds.of(words)
        log.info("picture conversation=%s kind=%s characters=%d ms=%.0f", log_id(conversation, self._log_key),
                 picture.kind, len(picture.text), reading.seconds * 1000)
        if picture.kind == "nothing":
            await sender.send(conversation, Outbound(self._notes.picture_unreadable))
            return None
        if picture.kind == "job_ad" and not self._in_danger(inbound.text, picture):
            await sender.send(conversation, Outbound(self._notes.picture_read.format(text=picture.excerpt)))
            return Ask(dataclasses.replace(inbound, attachment=None, text=picture.text, intent=JOB_CHECK),
                       {"picture": picture.text})
        return Ask(dataclasses.replace(inbound, attachment=None, text=picture.text), {"picture_words": True})

    def _in_danger(self, caption: str, picture: Picture) -> bool:
        """Danger wins over an offer. The person's own words (the caption) weigh in full; the picture's words without
        the signs that in an offer are its terms: a contract that says the employer keeps the passport is a red flag
        for the check to name, not someone held."""
        if caption.strip() and self._risk.of([clean_typed_text(caption)]).level == "high":
            return True
        found = self._risk.of([clean_typed_text(picture.text)]).indicators
        return self._risk.triage.grade(found - self._kinds.offer_terms).level == "high"

    async def _voice(self, inbound: Inbound, sender: Delivery) -> None:
        """The bot cannot listen: the person is asked to write; a human listens when this is how the conversation
        starts or when it already shows risk."""
        conversation = inbound.conversation_id
        if self.kept(inbound, "bot") is not None:
            await self._keep(inbound, sender)  # a human may listen to it later; the person is told below
        entries = await self._transcript.read(conversation, -HISTORY, -1)
        said = [str(entry.get("text") or "") for entry in entries[:-1]
                if entry.get("from") == "person" and entry.get("kind") not in ("command",)]
        risk = self._risk.of([clean_typed_text(text) for text in said if text]) if said else None
        raised = risk is not None and RISK_ORDER.index(risk.level) >= RAISED
        if said and not raised:
            await sender.send(conversation, Outbound(self._notes.voice_in_bot))
            return
        level = risk.level if risk is not None and raised else "medium"
        reasons = (VOICE_NOTE, *(risk.reasons if risk is not None and raised else ()))
        place = await self._queue.enqueue(Case(conversation, inbound.channel, level, reasons, "",
                                               inbound.campaign or ""))
        log.info("voice note queued conversation=%s risk=%s place=%s", log_id(conversation, self._log_key), level,
                 place)
        abroad = self._whereabouts is not None and await self._whereabouts.abroad(conversation, inbound)
        queued = self._notes.voice_queued_abroad if abroad else self._notes.voice_queued
        await sender.send(conversation, Outbound(queued, sensitive=True))
