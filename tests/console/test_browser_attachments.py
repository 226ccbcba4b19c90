"""A voice note sent during a handoff plays in the operator's console (Debian's Chromium through Playwright), and a
photo shows as a picture; the operator holds the conversation."""

from __future__ import annotations

import io
import math
import struct
import wave

from bot.settings import Settings
from bot.state.queue import Case
from harness.botapi import FakeBotAPI, message_update
from harness.pictures import JOB_AD, picture
from harness.rasa import FakeRasa
from tests.console.harness import console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, async_playwright, expect, sign_in, telegram

CHAT = 778001
PERSON = f"tg:{CHAT}"


def voice_note(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A short tone as WAV (Chromium plays it as it plays Telegram's Ogg/Opus; no encoder is needed here)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * 440 * n / rate)))
                                   for n in range(int(seconds * rate))))
    return out.getvalue()


async def test_a_voice_note_during_a_handoff_plays_in_the_console(settings: Settings, rasa: FakeRasa,
                                                                  bot_api: FakeBotAPI) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await console.operator("hoa", alias="Hoa")
        await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị đe doạ",)))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                       args=[*ARGS, "--autoplay-policy=no-user-gesture-required"])
            page = await (await browser.new_context(viewport={"width": 1360, "height": 860})).new_page()
            try:
                await sign_in(page, console)
                await expect(page.locator("#queue-list li")).to_have_count(1)
                await page.keyboard.press("j")
                await page.keyboard.press("k")
                await page.keyboard.press("c")
                await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")

                bot_api.put_file("voice-1", voice_note())
                await telegram(console, message_update(CHAT, voice={"file_id": "voice-1", "file_unique_id": "v1",
                                                                    "duration": 2, "mime_type": "audio/wav"}))
                bot_api.put_file("photo-1", picture(JOB_AD[:2], kind="JPEG"))
                await telegram(console, message_update(CHAT, photo=[{"file_id": "photo-1", "file_unique_id": "p1",
                                                                     "width": 1080, "height": 720}]))
                await console.settle()
                audio = page.locator("#transcript audio")
                await expect(audio).to_have_count(1)  # shown live, as the transcript grows
                playing = await audio.evaluate("""async (sound) => {
                    await sound.play();
                    await new Promise((done) => setTimeout(done, 400));
                    return { time: sound.currentTime, duration: sound.duration,
                             error: sound.error && sound.error.code };
                }""")
                assert playing["error"] is None
                assert playing["time"] > 0 and 1.0 < playing["duration"] < 2.0
                image = page.locator("#transcript img.attachment-image")
                await expect(image).to_have_count(1)
                await page.wait_for_function(
                    "document.querySelector('#transcript img.attachment-image').naturalWidth > 0")
                # One the platform no longer has: said in words, not a broken player.
                await telegram(console, message_update(CHAT, voice={"file_id": "gone", "file_unique_id": "g",
                                                                    "duration": 2, "mime_type": "audio/ogg"}))
                await console.settle()
                await expect(page.locator("#transcript .attachment-note")).to_contain_text("không còn lưu")
                await expect(audio).to_have_count(1)
            finally:
                await browser.close()
