"""A picture's words, read by Tesseract (through pytesseract) in Vietnamese, off the event loop.

pytesseract runs the `tesseract` program as a child process: the work happens outside Python, so a small pool of
threads of our own is enough to keep the loop free, and a turn that waits on a slow picture never holds up another
conversation (the default executor, shared with the rest of the process, is left alone). Each reading is bounded:
the bytes (MAX_BYTES, checked before anything is decoded), the pixels (Pillow refuses a decompression bomb, and
anything beyond MAX_PIXELS is refused before it is decoded), the size Tesseract sees (the longest side scaled down
to MAX_SIDE) and the time (pytesseract kills tesseract after `timeout` seconds).

Only words Tesseract is confident of are kept (MIN_CONFIDENCE): noise reads as a few stray letters of low
confidence, and a picture with no writing reads as nothing.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytesseract
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024  # a phone screenshot is well under 2 MB; Telegram's getFile serves up to 20 MB
MAX_PIXELS = 40_000_000  # a 48-megapixel photo is refused; a long scrolling screenshot (1080 x 20000) is read
MAX_SIDE = 3000
MIN_CONFIDENCE = 55.0
LANGUAGES = "vie"
TIMEOUT_SECONDS = 20.0
WORKERS = 2


class PictureUnreadable(Exception):
    """Not a picture Tesseract can read (not an image, too big, too slow, tesseract missing)."""


@dataclass(frozen=True)
class Reading:
    text: str  # the confident words, line by line
    seconds: float


def prepared(data: bytes) -> Image.Image:
    """The picture as Tesseract reads it: upright (EXIF orientation), grey, at most MAX_SIDE on its longest side."""
    if len(data) > MAX_BYTES:
        raise PictureUnreadable("too many bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PictureUnreadable("too many pixels")
            upright = ImageOps.exif_transpose(image) or image
            grey = upright.convert("L")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise PictureUnreadable(type(error).__name__) from None
    if max(grey.size) > MAX_SIDE:
        grey.thumbnail((MAX_SIDE, MAX_SIDE))
    return grey


def confident_text(data: dict[str, list[object]], threshold: float = MIN_CONFIDENCE) -> str:
    """The words of pytesseract's `image_to_data` at or above `threshold`, one line per line Tesseract found."""
    lines: dict[tuple[object, object, object], list[str]] = {}
    for index, word in enumerate(data.get("text", [])):
        word = str(word).strip()
        try:
            confidence = float(str(data["conf"][index]))
        except (KeyError, IndexError, ValueError):
            continue
        if word and confidence >= threshold:
            place = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            lines.setdefault(place, []).append(word)
    return "\n".join(" ".join(words) for words in lines.values())


def read_words(data: bytes, timeout: float = TIMEOUT_SECONDS, languages: str = LANGUAGES) -> str:
    """The picture's confident words (blocking: runs in the reader's threads, or in a benchmark)."""
    image = prepared(data)
    try:
        found = pytesseract.image_to_data(image, lang=languages, timeout=timeout,
                                          output_type=pytesseract.Output.DICT)
    except RuntimeError as error:  # pytesseract's "Tesseract process timeout"
        raise PictureUnreadable("timeout") from error
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, OSError) as error:
        raise PictureUnreadable(type(error).__name__) from None
    return confident_text(found)


class PictureReader:
    """Reads pictures in `workers` threads of its own; at most that many tesseract processes at a time."""

    def __init__(self, workers: int = WORKERS, timeout: float = TIMEOUT_SECONDS, languages: str = LANGUAGES):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr")
        self._timeout = timeout
        self._languages = languages

    async def read(self, data: bytes) -> Reading:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        text = await loop.run_in_executor(self._pool, read_words, data, self._timeout, self._languages)
        seconds = time.perf_counter() - started
        log.info("picture read ms=%.0f characters=%d", seconds * 1000, len(text))  # never the words
        return Reading(text, seconds)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
