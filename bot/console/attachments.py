"""What a person attached in a handoff (photos, files, voice notes), for the operator holding the conversation and
supervisors only (the transcript, which every operator may read, names it and no more).

Served as it is stored (bot/state/attachments.py: a picture already without metadata), never sniffed
(`X-Content-Type-Options: nosniff`), never cached, with `Content-Disposition`: `inline` for the pictures and sounds
the console shows and plays, `attachment` (a download) for anything else. A photo's EXIF place is shown to the
holder only, and every look is in the audit log.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import Context
from bot.console.http import NO_STORE, ApiError, conversation_id, ok
from bot.console.location import map_url
from bot.state.attachments import Attachment, AttachmentStore

ATTACHMENT_ID = re.compile(r"[0-9a-f]{16}")
SHOWN_INLINE = frozenset({"image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg", "audio/aac",
                          "audio/mp4", "audio/wav"})
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "audio/ogg": "ogg", "audio/mpeg": "mp3",
              "audio/aac": "aac", "audio/mp4": "m4a", "audio/wav": "wav", "application/pdf": "pdf"}


def _store(ctx: Context) -> AttachmentStore:
    store = ctx.services.gateway.attachments
    if store is None:
        raise ApiError(404, "attachments are not kept here")
    return store


async def _found(request: Request, ctx: Context, *, holder_only: bool = False) -> tuple[str, str, Attachment]:
    cid = conversation_id(request)
    found = str(request.path_params.get("attachment_id", ""))
    if not ATTACHMENT_ID.fullmatch(found):
        raise ApiError(400, "attachment id must be 16 hexadecimal digits")
    mine = await ctx.services.gateway.queue.holder(cid) == ctx.operator.username
    if not (mine or (ctx.operator.supervisor and not holder_only)):
        raise ApiError(403, "only the operator holding the conversation" + ("" if holder_only else
                                                                             " and supervisors") + " may see this")
    attachment = await _store(ctx).get(cid, found)
    if attachment is None:
        raise ApiError(404, "no such attachment (erased, expired, or never kept)")
    return cid, found, attachment


async def attachment(request: Request, ctx: Context) -> Response:
    cid, found, kept = await _found(request, ctx)
    await ctx.services.audit.record(ctx.operator.username, "attachment", cid, attachment=found)
    mime = kept.mime if kept.mime in EXTENSIONS else "application/octet-stream"
    disposition = "inline" if mime in SHOWN_INLINE else "attachment"
    name = f"{kept.kind}-{found}.{EXTENSIONS.get(mime, 'bin')}"
    return Response(kept.data, media_type=mime, headers={
        **NO_STORE, "Content-Disposition": f'{disposition}; filename="{name}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})


async def place(request: Request, ctx: Context) -> Response:
    """The place the photo's EXIF held, to the holder only: `{"location": null}` when it held none."""
    cid, found, kept = await _found(request, ctx, holder_only=True)
    await ctx.services.audit.record(ctx.operator.username, "attachment_location", cid, attachment=found)
    if kept.location is None:
        return ok({"location": None})
    latitude, longitude = kept.location.latitude, kept.location.longitude
    return ok({"location": {"latitude": latitude, "longitude": longitude, "map_url": map_url(latitude, longitude)}})
