"""normalise(): the text the models see, and where in the message each of its words came from."""

from __future__ import annotations

import re
import unicodedata

import pytest

from nlu.text import Normalised, fold, normalise
from tests.nlu.real_content import TABLE

WORD = re.compile(r"\w+")


def sources(view: Normalised) -> list[tuple[str, str]]:
    """Each word of the normalised text with the substring of the original it maps to."""
    pairs = []
    for match in WORD.finditer(view.text):
        start, end = view.original_span(*match.span())
        pairs.append((match.group(), view.original[start:end]))
    return pairs


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# (as typed, normalised text, [(normalised word, the part of the typed text it came from)])
CASES = [
    # tone placement: the old "hoà / thuỷ / khoẻ" becomes "hòa / thủy / khỏe"; "quý" and "giá" keep theirs
    ("Tôi ở Hoà Bình", "tôi ở hòa bình", [("tôi", "Tôi"), ("ở", "ở"), ("hòa", "Hoà"), ("bình", "Bình")]),
    ("thuỷ thủ", "thủy thủ", [("thủy", "thuỷ"), ("thủ", "thủ")]),
    ("em khoẻ không", "em khỏe không", [("em", "em"), ("khỏe", "khoẻ"), ("không", "không")]),
    ("Thanh Hoá, Khánh Hoà", "thanh hóa, khánh hòa",
     [("thanh", "Thanh"), ("hóa", "Hoá"), ("khánh", "Khánh"), ("hòa", "Hoà")]),
    ("quý khách hỏi giá", "quý khách hỏi giá",
     [("quý", "quý"), ("khách", "khách"), ("hỏi", "hỏi"), ("giá", "giá")]),
    # letters typed three or more times
    ("cứuuuu tôi với", "cứu tôi với", [("cứu", "cứuuuu"), ("tôi", "tôi"), ("với", "với")]),
    ("CUUUUU", "cuu", [("cuu", "CUUUUU")]),  # squeeze_exceptions: "cuu" is "cứu" typed bare, not "cu"
    ("khôngggg", "không", [("không", "khôngggg")]),
    ("vào facebooook nhắn", "vào facebook nhắn",
     [("vào", "vào"), ("facebook", "facebooook"), ("nhắn", "nhắn")]),
    # digits are never squeezed: hotlines and phone numbers
    ("gọi 111 hoặc 113", "gọi 111 hoặc 113",
     [("gọi", "gọi"), ("111", "111"), ("hoặc", "hoặc"), ("113", "113")]),
    ("sđt 0988 777 666", "số điện thoại 0988 777 666",
     [("số", "sđt"), ("điện", "sđt"), ("thoại", "sđt"), ("0988", "0988"), ("777", "777"), ("666", "666")]),
    # teencode from content/vi/normalise/teencode.yml
    ("ko dc", "không được", [("không", "ko"), ("được", "dc")]),
    ("em ko bít làm sao", "em không biết làm sao",
     [("em", "em"), ("không", "ko"), ("biết", "bít"), ("làm", "làm"), ("sao", "sao")]),
    ("Em bị giữ hc rồi", "em bị giữ hộ chiếu rồi",
     [("em", "Em"), ("bị", "bị"), ("giữ", "giữ"), ("hộ", "hc"), ("chiếu", "hc"), ("rồi", "rồi")]),
    ("đi hc", "đi học", [("đi", "đi"), ("học", "hc")]),
    ("ck cọc trước", "chuyển khoản tiền cọc trước",
     [("chuyển", "ck"), ("khoản", "ck"), ("tiền", "ck"), ("cọc", "cọc"), ("trước", "trước")]),
    ("lương bn", "lương bao nhiêu", [("lương", "lương"), ("bao", "bn"), ("nhiêu", "bn")]),
    ("mún chít", "muốn chết", [("muốn", "mún"), ("chết", "chít")]),
    ("liên hệ ĐSQ", "liên hệ đại sứ quán", [("liên", "liên"), ("hệ", "hệ"), ("đại", "ĐSQ"), ("sứ", "ĐSQ"),
                                            ("quán", "ĐSQ")]),
    # a unit after a number is not teencode: "15 t" stays for triage's minor_age_regex; a lone "t" is "tôi"
    ("em 15 t", "em 15 t", [("em", "em"), ("15", "15"), ("t", "t")]),
    ("t 16 t", "tôi 16 t", [("tôi", "t"), ("16", "16"), ("t", "t")]),
    ("lương 500 k", "lương 500 k", [("lương", "lương"), ("500", "500"), ("k", "k")]),
    # case folding
    ("TÔI BỊ NHỐT Ở CAMPUCHIA", "tôi bị nhốt ở campuchia",
     [("tôi", "TÔI"), ("bị", "BỊ"), ("nhốt", "NHỐT"), ("ở", "Ở"), ("campuchia", "CAMPUCHIA")]),
    ("ĐÀ NẴNG", "đà nẵng", [("đà", "ĐÀ"), ("nẵng", "NẴNG")]),
    # control and format characters become spaces, one for one
    ("xin\x00chào\u200bbạn\r\ncứu", "xin chào bạn  cứu", [("xin", "xin"), ("chào", "chào"), ("bạn", "bạn"),
                                                         ("cứu", "cứu")]),
    ("\ufeffcứu\ttôi", " cứu tôi", [("cứu", "cứu"), ("tôi", "tôi")]),
]


@pytest.mark.parametrize(("typed", "text", "words"), CASES, ids=[case[0] for case in CASES])
def test_normalise(typed: str, text: str, words: list[tuple[str, str]]) -> None:
    view = normalise(typed, TABLE)
    assert view.text == text
    assert view.folded == fold(text)
    assert sources(view) == words


@pytest.mark.parametrize(("typed", "text", "words"), CASES, ids=[case[0] for case in CASES])
def test_nfd_input_gives_the_same_text_and_points_at_the_decomposed_letters(
        typed: str, text: str, words: list[tuple[str, str]]) -> None:
    view = normalise(nfd(typed), TABLE)
    assert view.text == text
    assert sources(view) == [(word, nfd(source)) for word, source in words]


def test_nfd_offsets_are_offsets_in_the_decomposed_text() -> None:
    typed = nfd("Tôi ở Hoà Bình")  # T o ̂ i · o ̛ ̉ · H o a ̀ · B i ̀ n h
    assert len(typed) == 19
    view = normalise(typed)
    assert view.text == "tôi ở hòa bình"
    spans = [view.original_span(*m.span()) for m in WORD.finditer(view.text)]
    assert spans == [(0, 4), (5, 8), (9, 13), (14, 19)]


def test_without_a_table_teencode_is_left_as_typed() -> None:
    view = normalise("ko dc, bị giữ hc")
    assert view.text == "ko dc, bị giữ hc"
    assert sources(view) == [("ko", "ko"), ("dc", "dc"), ("bị", "bị"), ("giữ", "giữ"), ("hc", "hc")]


def test_empty_span_maps_to_a_position() -> None:
    view = normalise("ko sao", TABLE)
    assert view.text == "không sao"
    assert view.original_span(6, 6) == (3, 3)  # before "sao"
    assert view.original_span(len(view.text), len(view.text)) == (6, 6)


def test_round_trip_through_as_dict() -> None:
    view = normalise("Em bị giữ hc ở Hoà Bình", TABLE)
    again = Normalised.from_dict(view.original, view.as_dict())
    assert again == view


MESSAGES = [
    "Chào bạn, mình cần hỏi chút",
    "alo co ai ko vay",
    "Tôi bị giữ hộ chiếu ở Campuchia",
    "toi bi giu ho chieu o campuchia",
    "Họ nhốt tôi trong phòng, không cho về nước!!!",
    "cứuuuu emmmm vớiiii",
    "CỨU TÔI VỚI, TÔI ĐANG Ở MYAWADDY",
    "em 15t bị bắt tiếp khách",
    "sdt của em là 0912 333 444, gọi giúp em",
    "mình đang ở TP.HCM, muốn về quê ở Hoà Bình",
    "ck tiền trước rồi mới đi được hả ad?",
    "Lương bn 1 tháng vậy ạ? ko cần bc đúng ko",
    "bị giữ hc, ko dc gọi về nhà",
    "😭😭😭 em sợ lắm",
    "🙏",
    "",
    "   ",
    "...???!!!",
    "thuỷ  thủ trên tàu cá ở Đài Loan",
    "Ông ấy hứa việc nhẹ lương cao ở Sihanoukville",
    "tôi muốn tìm luật sư, nhà tạm lánh hoặc đại sứ quán",
    "ngày 12/10 họ chuyển em sang công ty khác",
    "mún chít cho xong",
    "hum nay e ko bít đi đâu",
    "tôi\u00a0ở\u2003Hà\u3000Nội",
    "xin\x00chào\u200bbạn\r\ncứu",
    "İstanbul ẞ straße",
    "Việt Nam 🇻🇳 muôn năm",
    "HN, SG, ĐN, BRVT, TPHCM",
    "facebooook.com/caunoi",
    "zì zậy trời, ok oke okie",
]


@pytest.mark.parametrize("message", MESSAGES + [nfd(m) for m in MESSAGES])
def test_every_character_points_into_the_original_in_order(message: str) -> None:
    view = normalise(message, TABLE)
    assert len(view.folded) == len(view.text) == len(view.starts) == len(view.ends)
    assert all(0 <= start <= end <= len(message) for start, end in zip(view.starts, view.ends, strict=True))
    assert list(view.starts) == sorted(view.starts)
    assert list(view.ends) == sorted(view.ends)
    for match in WORD.finditer(view.text):
        start, end = view.original_span(*match.span())
        assert start < end, match.group()
        assert WORD.search(message[start:end]), (match.group(), message[start:end])


@pytest.mark.parametrize("message", MESSAGES)
def test_nfd_and_nfc_input_normalise_alike(message: str) -> None:
    assert normalise(nfd(message), TABLE).text == normalise(message, TABLE).text


@pytest.mark.parametrize("message", MESSAGES)
def test_normalising_twice_changes_nothing(message: str) -> None:
    once = normalise(message, TABLE).text
    assert normalise(once, TABLE).text == once
