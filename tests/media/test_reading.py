"""bot/media/: Tesseract's reading, bounded and off the event loop; what a picture's words are; stored copies
without metadata. Pictures are made here (harness/pictures.py)."""

from __future__ import annotations

import asyncio
import io
import shutil

import pytest
from PIL import Image

from bot.media.exif import without_metadata
from bot.media.ocr import MAX_BYTES, PictureReader, PictureUnreadable, confident_text, read_words
from bot.media.pictures import picture_kinds
from bot.settings import PROJECT_ROOT
from harness.pictures import JOB_AD, THREAT, picture

CONTENT = PROJECT_ROOT / "content" / "vi"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


@needs_tesseract
def test_a_noisy_tilted_job_ad_is_read_with_its_diacritics() -> None:
    words = read_words(picture(JOB_AD)).lower()
    for said in ("tuyển gấp", "campuchia", "việc nhẹ lương cao", "bao vé máy bay", "phí hồ sơ", "đặt cọc"):
        assert said in words


@needs_tesseract
def test_a_blank_or_speckled_picture_reads_as_nothing() -> None:
    assert picture_kinds(CONTENT).of(read_words(picture(()))).kind == "nothing"
    assert picture_kinds(CONTENT).of(read_words(picture((), noise=0.15))).kind == "nothing"


def test_only_confident_words_are_kept_line_by_line() -> None:
    found = {"text": ["", "Việc", "nhẹ", "~:", "lương"], "conf": ["-1", "91.5", "88", "12", "70"],
             "block_num": [1, 1, 1, 1, 1], "par_num": [1, 1, 1, 1, 1], "line_num": [0, 1, 1, 1, 2]}
    assert confident_text(found) == "Việc nhẹ\nlương"


def test_what_is_not_a_picture_or_too_big_is_refused_before_tesseract() -> None:
    with pytest.raises(PictureUnreadable):
        read_words(b"not a picture at all")
    with pytest.raises(PictureUnreadable, match="bytes"):
        read_words(b"\0" * (MAX_BYTES + 1))
    huge = io.BytesIO()
    Image.new("L", (9000, 9000), 255).save(huge, "PNG")  # 81 megapixels, a few hundred KB
    with pytest.raises(PictureUnreadable, match="pixels"):
        read_words(huge.getvalue())


@needs_tesseract
def test_a_reading_past_its_time_is_stopped() -> None:
    with pytest.raises(PictureUnreadable, match="timeout"):
        read_words(picture(JOB_AD, size=(3000, 2000)), timeout=0.01)


@needs_tesseract
async def test_reading_leaves_the_event_loop_free() -> None:
    reader = PictureReader(workers=1)
    ticks = 0

    async def other_conversations() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    running = asyncio.create_task(other_conversations())
    try:
        reading = await reader.read(picture(JOB_AD))
    finally:
        running.cancel()
        reader.close()
    assert "campuchia" in reading.text.lower()
    assert ticks > 0  # the loop went on while tesseract read


@pytest.mark.parametrize(("words", "kind"), [
    (" ".join(JOB_AD), "job_ad"),
    ("Tuyển lao động đi Nhật Bản, lương cao, bao vé máy bay", "job_ad"),
    (" ".join(THREAT), "words"),
    ("Chào chị, tối nay em về muộn nhé, chị cứ ăn cơm trước", "words"),
    ("~ | a", "nothing"),
    ("", "nothing"),
])
def test_what_the_words_of_a_picture_are(words: str, kind: str) -> None:
    assert picture_kinds(CONTENT).of(words).kind == kind


def test_the_excerpt_shown_to_the_person_is_short() -> None:
    text = " ".join(JOB_AD * 10)
    excerpt = picture_kinds(CONTENT).of(text).excerpt
    assert len(excerpt) <= 301 and excerpt.endswith("…") and text.startswith(excerpt[:-1])


def test_a_kept_picture_loses_its_metadata_and_gives_its_place_apart() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "S", 2: (33.0, 52.0, 0.0), 3: "W", 4: (70.0, 30.0, 0.0)})
    exif[0x010F] = "CameraMakerCanary"
    exif[0x0112] = 6  # "rotate 90°": the kept copy is turned upright instead
    data = picture(JOB_AD[:1], kind="JPEG", exif=exif, size=(400, 200))
    kept, mime, place = without_metadata(data, "image/jpeg")
    assert mime == "image/jpeg" and b"CameraMakerCanary" not in kept
    image = Image.open(io.BytesIO(kept))
    assert dict(image.getexif()) == {} and image.size == (200, 400)
    assert place is not None and (round(place.latitude, 3), round(place.longitude, 3)) == (-33.867, -70.5)


def test_what_is_not_a_picture_is_kept_as_it_came() -> None:
    assert without_metadata(b"OggS voice", "audio/ogg") == (b"OggS voice", "audio/ogg", None)
