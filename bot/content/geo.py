"""Where a point is: which of the 34 provinces, or abroad; and how far apart two points are.

The province boxes of gazetteer/provinces.yml are generous (the union of the former provinces plus ~0.1°), and along
the land border they reach into the neighbours: An Giang's box, stretched west to take in Phú Quốc, also holds
Sihanoukville and Kampot; Tây Ninh's holds Svay Rieng. Those are where people are held, so a box alone would tell
someone in a Cambodian compound that they are in An Giang and give them 113 instead of the consular line.
`FOREIGN_AREAS` takes those well-known stretches back out. They are drawn conservatively (kept several km off the
border, from general geographic knowledge, not a cited survey): a point a few km from a border crossing (Bavet /
Mộc Bài, Hà Khẩu / Lào Cai, Đông Hưng / Móng Cái) cannot be placed reliably by any of this and still reads as
Vietnam — callers must not rely on it there (ask the person, or give both routes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.models import Province

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Area:
    name: str
    bbox: tuple[float, float, float, float]  # lat_min, lon_min, lat_max, lon_max

    def contains(self, lat: float, lon: float) -> bool:
        lat_min, lon_min, lat_max, lon_max = self.bbox
        return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


FOREIGN_AREAS: tuple[Area, ...] = (
    # North of Phú Quốc (whose tip is ~10.46°N) and west of Hà Tiên (~104.45°E): Kampot, Kep hinterland, Sihanoukville.
    Area("Campuchia: Kampot – Sihanoukville", (10.55, 103.00, 11.30, 104.40)),
    # West of An Giang's border with Takeo (Tịnh Biên, Châu Đốc and An Phú lie east of ~105.0°E).
    Area("Campuchia: Takeo", (10.75, 103.00, 11.30, 104.95)),
    # The Svay Rieng "Parrot's Beak" between Tây Ninh and the former Long An, away from the Mộc Bài crossing.
    Area("Campuchia: Svay Rieng", (11.00, 105.55, 11.30, 105.95)),
    # North-west of Tây Ninh province (Prey Veng, Kampong Cham side).
    Area("Campuchia: Prey Veng – Kampong Cham", (11.30, 105.00, 11.95, 105.75)),
)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def valid_coordinates(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def _depth(province: Province, lat: float, lon: float) -> float:
    """0 at the centre of the province's box, 1 on its edge."""
    lat_min, lon_min, lat_max, lon_max = province.bbox
    half_lat, half_lon = (lat_max - lat_min) / 2 or 1e-9, (lon_max - lon_min) / 2 or 1e-9
    return max(abs(lat - lat_min - half_lat) / half_lat, abs(lon - lon_min - half_lon) / half_lon)


class Geography:
    def __init__(self, provinces: Iterable[Province], foreign_areas: Iterable[Area] = FOREIGN_AREAS):
        self.provinces = tuple(provinces)
        self._by_name = {province.name: province for province in self.provinces}
        self.foreign_areas = tuple(foreign_areas)

    def province(self, name: str) -> Province | None:
        return self._by_name.get(name)

    def province_of(self, lat: float, lon: float) -> str | None:
        """The province a point is probably in, or None (abroad or out at sea). Rough: ask the person to confirm.

        Boxes overlap (Hà Nội's point is also inside Bắc Ninh's, Hưng Yên's and Phú Thọ's boxes). Neither "nearest
        administrative centre" (Lào Cai's is now in Yên Bái, so Lào Cai city looks closer to Lai Châu's) nor "deepest
        inside its box" alone places the big merged provinces well; their product got 59 of 64 provincial towns
        right in a hand check (tests/content), against 55 and 58.
        """
        if not valid_coordinates(lat, lon) or any(area.contains(lat, lon) for area in self.foreign_areas):
            return None
        holding = [province for province in self.provinces if province.contains(lat, lon)]
        if not holding:
            return None
        return min(holding, key=lambda p: _depth(p, lat, lon) * haversine_km(lat, lon, *p.centroid)).name

    def in_vietnam(self, lat: float, lon: float) -> bool:
        """False for a point outside every province box or in a known foreign stretch of one (see the module doc)."""
        return self.province_of(lat, lon) is not None
