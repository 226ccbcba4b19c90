"""Where the person is, as far as the conversation tells: a shared GPS point (the transcript keeps it), else the
tracker's location, province or country slots."""

from __future__ import annotations

from typing import Any

from bot.content import Directory
from bot.state.whereabouts import shared_point


def map_url(latitude: float, longitude: float) -> str:
    return (f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}"
            f"#map=15/{latitude:.5f}/{longitude:.5f}")


def whereabouts(transcript: list[dict[str, Any]], slots: dict[str, Any], directory: Directory) -> dict[str, Any] | None:
    point = shared_point(transcript)
    slot = slots.get("location")
    if point is None and isinstance(slot, dict):
        try:
            point = float(slot["latitude"]), float(slot["longitude"])
        except (KeyError, TypeError, ValueError):
            point = None
    province = slots.get("province") if isinstance(slots.get("province"), str) else None
    country = slots.get("country") if isinstance(slots.get("country"), str) else None
    if point is not None:
        latitude, longitude = point
        in_vietnam = directory.in_vietnam(latitude, longitude)
        return {"province": directory.province_of(latitude, longitude) if in_vietnam else None,
                "country": None if in_vietnam else country, "latitude": latitude, "longitude": longitude,
                "map_url": map_url(latitude, longitude)}
    if province or country:
        return {"province": province, "country": country, "latitude": None, "longitude": None, "map_url": None}
    return None
