from __future__ import annotations

from typing import Any

import pytest

from bot.content import Content, Entry
from bot.content.directory import Directory, Vocabulary, entry_text, parse_entry
from bot.content.geo import haversine_km


def entry(content: Content, **fields: Any) -> Entry:
    """An entry built through the same validator as the files, so the test data obeys the real rules."""
    raw: dict[str, Any] = {"type": "medical", "phone": "0901234567", "status": "verified",
                           "source_url": "https://example.org", "verified_at": "2026-11-01", **fields}
    raw.setdefault("name", raw["id"])
    vocabulary = Vocabulary({p.name: p for p in content.directory.geography.provinces}, frozenset(content.countries),
                            frozenset((*content.service_labels, "hotline", "website")))
    built, reasons = parse_entry(raw, "directory/test.yml", vocabulary)
    assert built is not None, reasons
    return built


@pytest.fixture
def directory(content: Content) -> Directory:
    entries = [
        entry(content, id="hn-benh-vien", province="Hà Nội", lat=21.03, lon=105.85),
        entry(content, id="hn-tam-ly", type="psychological", province="Hà Nội", lat=21.00, lon=105.80),
        entry(content, id="hn-chua-xac-minh", province="Hà Nội", lat=21.031, lon=105.851, status="unverified"),
        entry(content, id="hn-khong-toa-do", province="Hà Nội"),
        entry(content, id="hcm-benh-vien", province="Hồ Chí Minh", lat=10.78, lon=106.70),
        entry(content, id="dsq-campuchia", type="embassy", country="Campuchia", phone="+855 23 000 000"),
        *content.directory,
    ]
    return Directory(entries, content.directory.geography)


def test_only_verified_entries_are_ever_returned(directory: Directory) -> None:
    assert "hn-chua-xac-minh" not in {e.id for e in directory.verified()}
    assert all(e.verified for e in directory.in_province("Hà Nội", limit=10))
    assert all(e.verified for e, _ in directory.near(21.03, 105.85, limit=10))
    assert all(e.verified for e in directory.abroad("Campuchia"))
    assert all(e.verified for e in directory.national_hotlines())


def test_by_id_finds_unverified_entries_too(directory: Directory) -> None:
    found = directory.by_id("dai-su-quan-myanmar")
    assert found is not None and not found.verified
    assert directory.by_id("no-such-id") is None


def test_near_gives_the_nearest_with_distances(directory: Directory) -> None:
    found = directory.near(21.0285, 105.8542)  # Hoàn Kiếm
    assert [e.id for e, _ in found] == ["hn-benh-vien", "hn-tam-ly", "hcm-benh-vien"]
    distances = [km for _, km in found]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(haversine_km(21.0285, 105.8542, 21.03, 105.85), abs=1e-9)
    assert distances[0] < 1 and 6 < distances[1] < 8 and 1130 < distances[2] < 1150


def test_near_filters_by_type_and_limits(directory: Directory) -> None:
    assert [e.id for e, _ in directory.near(10.78, 106.70, type="psychological")] == ["hn-tam-ly"]
    assert [e.id for e, _ in directory.near(10.78, 106.70, limit=1)] == ["hcm-benh-vien"]
    assert directory.near(10.78, 106.70, type="loan") == ()


def test_in_province(directory: Directory) -> None:
    assert [e.id for e in directory.in_province("Hà Nội")] == ["hn-benh-vien", "hn-tam-ly", "hn-khong-toa-do"]
    assert [e.id for e in directory.in_province("Hà Nội", type="psychological")] == ["hn-tam-ly"]
    assert [e.id for e in directory.in_province("Hà Nội", limit=1)] == ["hn-benh-vien"]
    assert [e.id for e in directory.in_province("ha noi", limit=1)] == ["hn-benh-vien"]  # typed without diacritics
    assert directory.in_province("Cà Mau") == ()


def test_abroad_gives_the_country_first_then_the_consular_line(directory: Directory, content: Content) -> None:
    assert [e.id for e in directory.abroad("Campuchia")] == ["dsq-campuchia", "bao-ho-cong-dan"]
    # In the real seed the embassies are unverified, so only the consular line (which serves every country) shows.
    assert [e.id for e in content.directory.abroad("Campuchia")] == ["bao-ho-cong-dan"]
    assert [e.id for e in content.directory.abroad("Myanmar")] == ["bao-ho-cong-dan"]


def test_national_hotlines(content: Content) -> None:
    assert [e.id for e in content.directory.national_hotlines()] == ["tong-dai-111", "cong-an-113"]


def test_verified_phones_match_however_spaced(content: Content) -> None:
    assert content.directory.has_verified_phone("0981.84.84.84")
    assert content.directory.has_verified_phone("+84965411118")
    assert not content.directory.has_verified_phone("1900 969 680")  # Peace House: unverified


@pytest.mark.parametrize(("lat", "lon", "province"), [
    (21.03, 105.85, "Hà Nội"),
    (10.78, 106.70, "Hồ Chí Minh"),
    (16.07, 108.22, "Đà Nẵng"),
    (10.22, 103.96, "An Giang"),  # Phú Quốc
    (10.38, 104.49, "An Giang"),  # Hà Tiên, on the Cambodian border
    (8.68, 106.60, "Hồ Chí Minh"),  # Côn Đảo
    (21.53, 107.96, "Quảng Ninh"),  # Móng Cái
])
def test_points_in_vietnam(content: Content, lat: float, lon: float, province: str) -> None:
    assert content.directory.province_of(lat, lon) == province
    assert content.directory.in_vietnam(lat, lon)


@pytest.mark.parametrize(("lat", "lon"), [
    (11.56, 104.92),  # Phnom Penh: outside every box
    (10.63, 103.52),  # Sihanoukville: inside An Giang's box, taken out as a known foreign stretch
    (10.61, 104.18),  # Kampot
    (10.99, 104.78),  # Takeo
    (11.09, 105.80),  # Svay Rieng
    (16.80, 96.15),  # Yangon
    (13.75, 100.50),  # Bangkok
    (16.5, 112.0),  # Hoàng Sa: outside the boxes on purpose (no service there)
    (95.0, 0.0),  # not a coordinate at all
])
def test_points_abroad(content: Content, lat: float, lon: float) -> None:
    assert content.directory.province_of(lat, lon) is None
    assert not content.directory.in_vietnam(lat, lon)


# Provincial towns, by the province they are in since 1/7/2025. Boxes overlap and are rough, so province_of is a
# best guess; this hand check is what the heuristic in bot/content/geo.py was chosen on.
TOWNS = [
    ("Hà Nội", 21.03, 105.85), ("Hồ Chí Minh", 10.78, 106.70), ("Đà Nẵng", 16.07, 108.22), ("Huế", 16.46, 107.59),
    ("Lào Cai", 22.48, 103.97), ("Lào Cai", 21.72, 104.90), ("Quảng Ninh", 20.95, 107.08),
    ("Hải Phòng", 20.86, 106.68), ("Nghệ An", 18.67, 105.68), ("Thanh Hóa", 19.81, 105.78),
    ("Cần Thơ", 10.03, 105.78), ("An Giang", 10.01, 105.08), ("An Giang", 10.38, 105.43), ("An Giang", 10.70, 105.12),
    ("Đồng Tháp", 10.36, 106.36), ("Đồng Tháp", 10.46, 105.63), ("Tây Ninh", 10.54, 106.41),
    ("Tây Ninh", 11.31, 106.10), ("Đồng Nai", 10.95, 106.82), ("Hồ Chí Minh", 10.98, 106.65),
    ("Hồ Chí Minh", 10.35, 107.08), ("Vĩnh Long", 10.24, 106.38), ("Vĩnh Long", 10.25, 105.97),
    ("Cần Thơ", 9.60, 105.97), ("Cà Mau", 9.29, 105.72), ("Cà Mau", 9.18, 105.15), ("Lâm Đồng", 11.94, 108.44),
    ("Lâm Đồng", 10.93, 108.10), ("Khánh Hòa", 12.24, 109.19), ("Khánh Hòa", 11.56, 108.99),
    ("Đắk Lắk", 12.67, 108.04), ("Đắk Lắk", 13.09, 109.30), ("Gia Lai", 13.78, 109.22), ("Gia Lai", 13.98, 108.0),
    ("Quảng Ngãi", 14.35, 108.0), ("Quảng Ngãi", 15.12, 108.80), ("Đà Nẵng", 15.57, 108.47),
    ("Quảng Trị", 16.82, 107.10), ("Quảng Trị", 17.47, 106.62), ("Hà Tĩnh", 18.34, 105.91),
    ("Ninh Bình", 20.25, 105.97), ("Ninh Bình", 20.42, 106.17), ("Ninh Bình", 20.54, 105.91),
    ("Hưng Yên", 20.45, 106.34), ("Hưng Yên", 20.65, 106.05), ("Hải Phòng", 20.94, 106.33),
    ("Bắc Ninh", 21.27, 106.19), ("Bắc Ninh", 21.18, 106.07), ("Phú Thọ", 21.31, 105.60), ("Phú Thọ", 21.32, 105.40),
    ("Phú Thọ", 20.81, 105.34), ("Thái Nguyên", 21.59, 105.85), ("Thái Nguyên", 22.15, 105.83),
    ("Tuyên Quang", 21.82, 105.21), ("Tuyên Quang", 22.82, 104.98), ("Cao Bằng", 22.67, 106.26),
    ("Lạng Sơn", 21.85, 106.76), ("Điện Biên", 21.39, 103.02), ("Lai Châu", 22.40, 103.46), ("Sơn La", 21.33, 103.91),
    ("Quảng Ninh", 21.53, 107.96), ("An Giang", 10.22, 103.96), ("Hồ Chí Minh", 8.68, 106.6),
    ("Đồng Nai", 11.53, 106.88),
]


def test_province_of_places_most_provincial_towns(content: Content) -> None:
    wrong = [(name, lat, lon, content.directory.province_of(lat, lon)) for name, lat, lon in TOWNS
             if content.directory.province_of(lat, lon) != name]
    assert all(content.directory.in_vietnam(lat, lon) for _, lat, lon in TOWNS)
    assert len(wrong) <= 5, wrong


def test_a_shelter_is_never_shown_with_its_distance(content: Content) -> None:
    """A distance to 0.1 km from a few shared points gives a confidential shelter's place away."""
    shelter = entry(content, id="nha-tam-lanh", type="shelter", province="Hà Nội", address="Ngõ bí mật 7",
                    confidential=True, lat=21.03, lon=105.85)
    clinic = entry(content, id="phong-kham", province="Hà Nội", lat=21.03, lon=105.85)
    lines, labels = content.dialogue.entry_lines, content.service_labels
    assert "1.2" in entry_text(clinic, lines, labels, 1.2)
    shown = entry_text(shelter, lines, labels, 1.2)
    assert "1.2" not in shown and "km" not in shown and "bí mật" not in shown


def test_an_entry_as_a_person_reads_it_never_names_its_type_in_english(content: Content) -> None:
    # hotline and website are types without a label (EXTRA_TYPES): the name alone, never "(hotline)".
    shown = [entry_text(e, content.dialogue.entry_lines, content.service_labels)
             for e in content.directory.national_hotlines()]
    assert shown and all("(hotline)" not in text and "(website)" not in text for text in shown)
    assert any(text.startswith("• Tổng đài điện thoại quốc gia") for text in shown)
