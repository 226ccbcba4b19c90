"""The gazetteer on the real content: every province name old and new, aliases, countries, services."""

from __future__ import annotations

import pytest

from nlu.gazetteer import Gazetteer
from nlu.text import fold, normalise
from tests.nlu.real_content import GAZETTEER as TABLES
from tests.nlu.real_content import TABLE

GAZETTEER = Gazetteer(TABLES)

# /work/shared/reference/vn-facts.md §5 (Resolution 202/2025/QH15): the 34 units and the 63 provinces
# they absorbed.
MERGERS = {
    "Hà Nội": ["Hà Nội"], "Huế": ["Thừa Thiên Huế"], "Cao Bằng": ["Cao Bằng"], "Điện Biên": ["Điện Biên"],
    "Hà Tĩnh": ["Hà Tĩnh"], "Lai Châu": ["Lai Châu"], "Lạng Sơn": ["Lạng Sơn"], "Nghệ An": ["Nghệ An"],
    "Quảng Ninh": ["Quảng Ninh"], "Thanh Hóa": ["Thanh Hóa"], "Sơn La": ["Sơn La"],
    "Tuyên Quang": ["Tuyên Quang", "Hà Giang"], "Lào Cai": ["Lào Cai", "Yên Bái"],
    "Thái Nguyên": ["Thái Nguyên", "Bắc Kạn"], "Phú Thọ": ["Phú Thọ", "Vĩnh Phúc", "Hòa Bình"],
    "Bắc Ninh": ["Bắc Ninh", "Bắc Giang"], "Hưng Yên": ["Hưng Yên", "Thái Bình"],
    "Hải Phòng": ["Hải Phòng", "Hải Dương"], "Ninh Bình": ["Ninh Bình", "Hà Nam", "Nam Định"],
    "Quảng Trị": ["Quảng Trị", "Quảng Bình"], "Đà Nẵng": ["Đà Nẵng", "Quảng Nam"],
    "Quảng Ngãi": ["Quảng Ngãi", "Kon Tum"], "Gia Lai": ["Gia Lai", "Bình Định"],
    "Khánh Hòa": ["Khánh Hòa", "Ninh Thuận"], "Lâm Đồng": ["Lâm Đồng", "Đắk Nông", "Bình Thuận"],
    "Đắk Lắk": ["Đắk Lắk", "Phú Yên"], "Hồ Chí Minh": ["Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"],
    "Đồng Nai": ["Đồng Nai", "Bình Phước"], "Tây Ninh": ["Tây Ninh", "Long An"],
    "Cần Thơ": ["Cần Thơ", "Sóc Trăng", "Hậu Giang"], "Vĩnh Long": ["Vĩnh Long", "Bến Tre", "Trà Vinh"],
    "Đồng Tháp": ["Đồng Tháp", "Tiền Giang"], "Cà Mau": ["Cà Mau", "Bạc Liêu"],
    "An Giang": ["An Giang", "Kiên Giang"],
}


def found(text: str) -> list[tuple[str, str, str]]:
    """(entity, value, the exact part of `text` it was found in)."""
    return [(f.entity, f.value, text[f.start : f.end]) for f in GAZETTEER.find(normalise(text, TABLE))]


def bare(name: str) -> str:
    return fold(name).lower()


def test_the_data_has_the_34_provinces_and_the_63_former_ones_of_the_resolution() -> None:
    provinces = TABLES.provinces
    assert len(provinces) == 34
    assert {p.name: list(p.former) for p in provinces} == MERGERS
    former = [name for p in provinces for name in p.former]
    assert len(former) == len(set(former)) == 63
    assert GAZETTEER.provinces == tuple(MERGERS)


def test_no_surface_form_belongs_to_two_provinces() -> None:
    owner: dict[str, str] = {}
    for province in TABLES.provinces:
        for surface in [province.name, *province.former, *province.aliases]:
            key = " ".join(normalise(surface).folded.split())
            assert owner.setdefault(key, province.name) == province.name, surface


TEMPLATES = ["tôi đang ở {name}", "toi dang o {bare}", "tỉnh {name}", "tinh {bare}", "thành phố {name}",
             "thanh pho {bare}", "tp {name}", "tp {bare}", "quê tôi ở {name} nhưng giờ làm ở xa"]
NAME_CASES = [
    (template.format(name=name, bare=bare(name)), value, name if "{name}" in template else bare(name))
    for value, names in MERGERS.items()
    for name in dict.fromkeys([value, *names])
    for template in TEMPLATES
]


@pytest.mark.parametrize(("text", "value", "typed"), NAME_CASES, ids=[case[0] for case in NAME_CASES])
def test_every_current_and_former_name_resolves_to_the_current_province(
        text: str, value: str, typed: str) -> None:
    assert found(text) == [("province", value, typed)]


@pytest.mark.parametrize(("text", "value", "typed"), [
    ("tôi đang ở Sài Gòn", "Hồ Chí Minh", "Sài Gòn"),
    ("toi dang o sai gon", "Hồ Chí Minh", "sai gon"),
    ("em ở SG", "Hồ Chí Minh", "SG"),
    ("em o sg", "Hồ Chí Minh", "sg"),
    ("tôi làm ở HCM", "Hồ Chí Minh", "HCM"),
    ("tôi làm ở TPHCM", "Hồ Chí Minh", "TPHCM"),
    ("tôi làm ở tphcm", "Hồ Chí Minh", "tphcm"),
    ("nhà tôi ở Vũng Tàu", "Hồ Chí Minh", "Vũng Tàu"),
    ("nha toi o vung tau", "Hồ Chí Minh", "vung tau"),
    ("tôi ở Thủ Dầu Một", "Hồ Chí Minh", "Thủ Dầu Một"),
    ("toi o thu dau mot", "Hồ Chí Minh", "thu dau mot"),
    ("tôi ở Đà Lạt", "Lâm Đồng", "Đà Lạt"),
    ("toi o da lat", "Lâm Đồng", "da lat"),
    ("mình ở Phan Thiết", "Lâm Đồng", "Phan Thiết"),
    ("minh o phan thiet", "Lâm Đồng", "phan thiet"),
    ("tôi ở Quy Nhơn", "Gia Lai", "Quy Nhơn"),
    ("toi o quy nhon", "Gia Lai", "quy nhon"),
    ("tôi làm ở Phú Quốc", "An Giang", "Phú Quốc"),
    ("toi lam o phu quoc", "An Giang", "phu quoc"),
    ("tôi ở Rạch Giá", "An Giang", "Rạch Giá"),
    ("toi o rach gia", "An Giang", "rach gia"),
    ("tôi ở Móng Cái", "Quảng Ninh", "Móng Cái"),
    ("toi o mong cai", "Quảng Ninh", "mong cai"),
    ("tôi ở Hạ Long", "Quảng Ninh", "Hạ Long"),
    ("toi o ha long", "Quảng Ninh", "ha long"),
    ("tôi ở HN", "Hà Nội", "HN"),
    ("toi o hn", "Hà Nội", "hn"),
    ("TÔI Ở HOÀ BÌNH", "Phú Thọ", "HOÀ BÌNH"),  # old tone placement, upper case
])
def test_aliases(text: str, value: str, typed: str) -> None:
    assert found(text) == [("province", value, typed)]


@pytest.mark.parametrize(("text", "expected"), [
    # names that are also given names or words count only after "ở", "tỉnh", "quê"...
    ("em tên Huế", []),
    ("em ten hue", []),
    ("tôi ở Huế", [("province", "Huế", "Huế")]),
    ("toi o hue", [("province", "Huế", "hue")]),
    ("Nam", []),
    ("em ở miền Nam", []),
    ("chị Hòa Bình nói", []),
    ("tôi đã cam kết rồi", []),
    ("toi da cam ket roi", []),
    ("tôi sang Cam làm việc", [("country", "Campuchia", "Cam")]),
    ("toi sang cam lam viec", [("country", "Campuchia", "cam")]),
    ("em thích uống nước cam", []),
    ("tôi đi lao động", []),
    ("toi di lao dong", []),
    ("tôi đi xuất khẩu lao động Lào", [("country", "Lào", "Lào")]),
    ("tôi ở Lào Cai", [("province", "Lào Cai", "Lào Cai")]),
    ("toi o lao cai", [("province", "Lào Cai", "lao cai")]),
    ("hòa bình thế giới", []),
    ("hoà bình thế giới", []),
    ("hoa binh the gioi", []),
    ("chúng tôi muốn sống hòa bình", []),
    ("Thái Bình Dương", []),
    # "thanh pho yen bai" is the city of Yên Bái, not Phổ Yên ("pho yen")
    ("toi o thanh pho yen bai", [("province", "Lào Cai", "yen bai")]),
    ("thành phố Phổ Yên", [("province", "Thái Nguyên", "Phổ Yên")]),
    ("chúc bạn hp", []),
    ("tôi ở Hải Phòng", [("province", "Hải Phòng", "Hải Phòng")]),
    ("thuê hai phòng", []),
    # words_if_unaccented: typed with all their diacritics they need no "ở" before them
    ("Hải Phòng có nhiều nhà máy", [("province", "Hải Phòng", "Hải Phòng")]),
    ("hai phong co nhieu nha may", []),
    ("Đà Nẵng đẹp lắm", [("province", "Đà Nẵng", "Đà Nẵng")]),
    ("máy giặt da nang", []),
])
def test_ambiguity(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "value", "typed"), [
    ("tôi bị bán sang TQ", "Trung Quốc", "TQ"),
    ("toi bi ban sang tq", "Trung Quốc", "tq"),
    ("tôi muốn sang Hàn làm việc", "Hàn Quốc", "Hàn"),
    ("em đang ở CPC", "Campuchia", "CPC"),
    ("em dang o cpc", "Campuchia", "cpc"),
    ("họ đưa tôi sang Miến Điện", "Myanmar", "Miến Điện"),
    ("ho dua toi sang mien dien", "Myanmar", "mien dien"),
    ("họ đưa tôi đến Sihanoukville", "Campuchia", "Sihanoukville"),
    ("ho dua toi den sihanoukville", "Campuchia", "sihanoukville"),
    ("tôi bị đưa qua Myawaddy", "Myanmar", "Myawaddy"),
    ("toi bi dua qua myawaddy", "Myanmar", "myawaddy"),
    ("chồng tôi là người Tàu", "Trung Quốc", "Tàu"),
    ("tôi đang ở Phnôm Pênh", "Campuchia", "Phnôm Pênh"),
    ("toi dang o phnom penh", "Campuchia", "phnom penh"),
])
def test_countries(text: str, value: str, typed: str) -> None:
    assert found(text) == [("country", value, typed)]


@pytest.mark.parametrize("text", [
    "toi muon sang han lam viec",  # "han" bare is hạn / hẳn: "Hàn" only with its diacritics
    "tôi đi tàu về quê",  # ship or train
    "bên anh",  # "by your side", not the UK
    "hôm qua đi hq",
])
def test_country_words_that_are_everyday_words(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(("text", "value", "typed"), [
    ("tôi cần luật sư", "legal_aid", "luật sư"),
    ("toi can luat su", "legal_aid", "luat su"),
    ("có nhà tạm lánh nào không", "shelter", "nhà tạm lánh"),
    ("co nha tam lanh nao khong", "shelter", "nha tam lanh"),
    ("tôi muốn gặp công an", "police", "công an"),
    ("toi muon gap cong an", "police", "cong an"),
    ("số của đại sứ quán là gì", "embassy", "đại sứ quán"),
    ("so cua dai su quan la gi", "embassy", "dai su quan"),
    ("cho em số đsq", "embassy", "đsq"),
])
def test_service_types(text: str, value: str, typed: str) -> None:
    assert found(text) == [("service_type", value, typed)]


def test_several_entities_in_one_message() -> None:
    text = "Em quê ở Hoà Bình, bị đưa sang Campuchia, cần gặp đại sứ quán"
    assert found(text) == [("province", "Phú Thọ", "Hoà Bình"), ("country", "Campuchia", "Campuchia"),
                           ("service_type", "embassy", "đại sứ quán")]


@pytest.mark.parametrize(("text", "values"), [
    ("con toi muon di hoc lai", ["schooling"]),
    ("con tôi muốn đi học lại", ["schooling"]),
    ("can vay von lam an", ["loan"]),
    ("cần vay vốn làm ăn", ["loan"]),
    ("toi bi thuong can di vien", ["medical", "medical"]),
    ("tôi bị thương cần đi viện", ["medical", "medical"]),
    ("tôi cần trợ cấp khó khăn ban đầu", ["hardship_allowance"]),
    ("tro cap kho khan ban dau", ["hardship_allowance"]),
    ("muon di hoc nghe may", ["vocational_training"]),  # not schooling: "đi học nghề" is the longer phrase
    ("tim noi hoc lai xe mien phi", ["vocational_training"]),  # "học lái xe", not "học lại"
    ("không có gì ăn", ["shelter"]),
])
def test_every_kind_of_help_is_found_with_and_without_diacritics(text: str, values: list[str]) -> None:
    assert [value for entity, value, _ in found(text) if entity == "service_type"] == values
