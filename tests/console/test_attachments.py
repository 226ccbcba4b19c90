"""What a person attaches while waiting for a human or talking with one: kept sealed for the operator, without its
metadata, served to the holder and supervisors only, erased by /xoa and by the retention purge (checked in Redis)."""

from __future__ import annotations

import io
import json
import shutil
import time

import pytest
from PIL import Image

from bot.state import keys
from bot.state.attachments import attachment_id
from bot.state.deadletters import DeadLetters
from bot.state.erase import erase
from bot.state.queue import Case
from bot.state.retention import Purger
from bot.state.sealed import is_sealed
from harness.botapi import FakeBotAPI, message_update
from harness.pictures import JOB_AD, picture
from tests.console.conftest import WEBHOOK_SECRET
from tests.console.harness import Console

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
CHAT = 434343
PERSON = f"tg:{CHAT}"
GPS_IFD = 0x8825


def photo_with_place() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 0.0)})
    exif[0x010F] = "CameraMakerCanary"
    return picture(JOB_AD[:2], kind="JPEG", exif=exif)


async def sent_in_handoff(console: Console, bot_api: FakeBotAPI, **content: object) -> str:
    """A message with an attachment from a person who waits for a human; the id its transcript entry names."""
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị đe doạ",)))
    update = message_update(CHAT, **content)
    response = await console.client().post("/webhooks/telegram", json=update,
                                            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200
    await console.settle()
    entry = [item for item in await console.gateway.transcript.read(PERSON) if item["from"] == "person"][-1]
    assert entry["attachment"] == attachment_id(str(update["message"]["message_id"]))
    return str(entry["attachment"])


async def test_a_photo_in_a_handoff_is_kept_sealed_without_metadata_for_the_holder(console: Console,
                                                                                   bot_api: FakeBotAPI) -> None:
    bot_api.put_file("p1", photo_with_place())
    found = await sent_in_handoff(console, bot_api, photo=[{"file_id": "p1", "file_unique_id": "p",
                                                            "width": 1080, "height": 720}])
    assert "Người hỗ trợ sẽ xem" in (await bot_api.wait_for("sendMessage"))[-1]["text"]
    raw = await console.gateway.redis.hget(keys.attachments(PERSON), found)
    assert raw is not None and is_sealed(raw) and "CameraMakerCanary" not in raw
    period = console.gateway.settings.retention_days * 86400
    assert 0 < await console.gateway.redis.ttl(keys.attachments(PERSON)) <= period  # kept as long as the rest

    holder, other, boss = (await console.login("lan"), await console.login("hoa"),
                           await console.login("boss", role="supervisor"))
    assert (await holder.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    shown = await holder.get(f"/api/conversations/{PERSON}")
    entries = [item for item in shown.json()["transcript"] if item["from"] == "person"]
    assert entries[-1]["attachment"] == found  # every operator sees that there is one
    path = f"/api/conversations/{PERSON}/attachments/{found}"
    served = await holder.get(path)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline; filename=")
    assert "no-store" in served.headers["cache-control"]
    image = Image.open(io.BytesIO(served.content))
    assert dict(image.getexif()) == {} and b"CameraMakerCanary" not in served.content
    assert (await boss.get(path)).status_code == 200
    refused = await other.get(path)
    assert refused.status_code == 403 and "holding" in refused.json()["error"]
    # The place the EXIF held: the holder only, not even a supervisor.
    place = (await holder.get(f"{path}/location")).json()["location"]
    assert (round(place["latitude"], 3), round(place["longitude"], 3)) == (21.025, 105.85)
    assert (await boss.get(f"{path}/location")).status_code == 403
    assert (await other.get(f"/api/conversations/{PERSON}/attachments/{'0' * 16}")).status_code == 403
    assert (await holder.get(f"/api/conversations/{PERSON}/attachments/{'0' * 16}")).status_code == 404
    assert (await holder.get(f"/api/conversations/{PERSON}/attachments/not-an-id")).status_code == 400
    trail = [json.loads(line) for line in (await boss.get("/api/audit")).text.splitlines()]
    assert ("lan", "attachment") in [(e["actor"], e["action"]) for e in trail if e["conversation"] == PERSON]


async def test_a_voice_note_in_a_handoff_is_kept_and_a_file_is_served_as_a_download(console: Console,
                                                                                    bot_api: FakeBotAPI) -> None:
    bot_api.put_file("v1", b"OggS" + b"\x00" * 200)
    found = await sent_in_handoff(console, bot_api, voice={"file_id": "v1", "file_unique_id": "v", "duration": 3,
                                                           "mime_type": "audio/ogg"})
    assert "sẽ nghe" in (await bot_api.wait_for("sendMessage"))[-1]["text"]
    holder = await console.login("lan")
    assert (await holder.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    served = await holder.get(f"/api/conversations/{PERSON}/attachments/{found}")
    assert served.headers["content-type"] == "audio/ogg" and served.content.startswith(b"OggS")
    bot_api.put_file("d1", b"<html><script>alert(1)</script></html>")
    found = await sent_in_handoff(console, bot_api, document={"file_id": "d1", "file_unique_id": "d",
                                                              "file_name": "x.html", "mime_type": "text/html"})
    served = await holder.get(f"/api/conversations/{PERSON}/attachments/{found}")
    assert served.headers["content-type"] == "application/octet-stream"  # never rendered by the browser
    assert served.headers["content-disposition"].startswith("attachment; filename=")


async def test_a_file_too_large_in_a_handoff_gets_a_clear_answer(console: Console, bot_api: FakeBotAPI) -> None:
    big = {"file_id": "big", "file_unique_id": "b", "file_name": "a.pdf", "mime_type": "application/pdf",
           "file_size": 60_000_000}
    await sent_in_handoff(console, bot_api, document=big)
    assert "lớn quá" in (await bot_api.wait_for("sendMessage"))[-1]["text"]
    assert bot_api.called("getFile") == []
    assert await console.gateway.redis.exists(keys.attachments(PERSON)) == 0


async def test_erase_and_the_retention_purge_remove_attachments(console: Console, bot_api: FakeBotAPI) -> None:
    bot_api.put_file("p2", picture(JOB_AD[:1]))
    photo = [{"file_id": "p2", "file_unique_id": "p", "width": 1080, "height": 720}]
    await sent_in_handoff(console, bot_api, photo=photo)
    redis = console.gateway.redis
    assert await redis.hlen(keys.attachments(PERSON)) == 1
    await erase(redis, PERSON)  # what /xoa does (bot/state/erase.py)
    assert await redis.exists(keys.attachments(PERSON)) == 0

    await sent_in_handoff(console, bot_api, photo=photo)
    assert await redis.hlen(keys.attachments(PERSON)) == 1
    assert await console.gateway.queue.withdraw(PERSON)  # no longer held: the purge may erase it once due
    retention = console.gateway.retention
    assert retention is not None
    later = time.time() + retention.periods.longest + 60
    report = await Purger(redis, retention, DeadLetters(redis), clock=lambda: later).purge()
    assert report.erased >= 1
    assert await redis.exists(keys.attachments(PERSON)) == 0
