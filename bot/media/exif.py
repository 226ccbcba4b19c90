"""A picture as it is kept for the operator: turned upright, re-encoded with no EXIF (no camera, no time, no place)
and no other metadata; the place the EXIF held, apart, for the operator holding the conversation only.

A file that is not a picture Pillow reads is kept as it came (a PDF, a voice note).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.media.ocr import MAX_PIXELS
from bot.messages import Location

GPS_IFD = 0x8825
LATITUDE_REF, LATITUDE, LONGITUDE_REF, LONGITUDE = 1, 2, 3, 4
SAVED_AS = {"JPEG": ("JPEG", "image/jpeg"), "MPO": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"),
            "WEBP": ("WEBP", "image/webp"), "GIF": ("PNG", "image/png")}


def _degrees(value: Sequence[float]) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    return degrees + minutes / 60 + seconds / 3600


def location_of(image: Image.Image) -> Location | None:
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        latitude = _degrees(gps[LATITUDE]) * (-1 if gps.get(LATITUDE_REF) == "S" else 1)
        longitude = _degrees(gps[LONGITUDE]) * (-1 if gps.get(LONGITUDE_REF) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return Location(latitude, longitude)
    return None


def without_metadata(data: bytes, mime: str) -> tuple[bytes, str, Location | None]:
    """(bytes to keep, their type, the EXIF's place); a picture loses every piece of metadata."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS or image.format not in SAVED_AS:
                return data, mime, None
            place = location_of(image)
            upright = ImageOps.exif_transpose(image) or image
            kind, saved_mime = SAVED_AS[image.format]
            if kind == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, kind, **({"quality": 90} if kind == "JPEG" else {}))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return data, mime, None
    return out.getvalue(), saved_mime, place
