"""VietnameseTokenizer on Rasa messages: word tokens with their lemma and their offsets in what was typed."""

from __future__ import annotations

import unicodedata

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu import tokenizer
from nlu.normaliser import VietnameseNormaliser
from nlu.tokenizer import VietnameseTokenizer, align, segment_by_lexicon

LEXICON = frozenset({"ho chieu", "lam viec", "cong ty", "dai su quan"})
# Built as Rasa builds it for training: from the content folder its configuration names (none: the deployment's).
NORMALISER = VietnameseNormaliser.create(VietnameseNormaliser.get_default_config(), None, None, None)


def make_tokenizer(lexicon: frozenset[str] = LEXICON) -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config(), lexicon, None, None)


def tokens_of(text: str, lexicon: frozenset[str] = LEXICON, normalised: bool = False) -> list[Token]:
    message = Message(data={TEXT: text})
    if normalised:
        NORMALISER.process([message])
    return make_tokenizer(lexicon).tokenize(message, TEXT)


def pinned(tokens: list[Token]) -> list[tuple[str, str, int, int]]:
    return [(t.text, t.lemma, t.start, t.end) for t in tokens]


PASSPORT = [("tôi", "toi", 0, 3), ("bị", "bi", 4, 6), ("giữ", "giu", 7, 10),
            ("hộ_chiếu", "ho_chieu", 11, 19), ("ở", "o", 20, 21), ("campuchia", "campuchia", 22, 31)]
PASSPORT_BARE = [("toi", "toi", 0, 3), ("bi", "bi", 4, 6), ("giu", "giu", 7, 10),
                 ("ho_chieu", "ho_chieu", 11, 19), ("o", "o", 20, 21), ("campuchia", "campuchia", 22, 31)]

CASES = [
    # underthesea segments text with diacritics: "hộ chiếu" is one word
    ("Tôi bị giữ hộ chiếu ở Campuchia", PASSPORT),
    # without diacritics the lexicon does it, with the same lemmas and offsets
    ("Toi bi giu ho chieu o Campuchia", PASSPORT_BARE),
    ("Tôi muốn làm việc ở Hàn Quốc",
     [("tôi", "toi", 0, 3), ("muốn", "muon", 4, 8), ("làm_việc", "lam_viec", 9, 17), ("ở", "o", 18, 19),
      ("hàn_quốc", "han_quoc", 20, 28)]),
    ("toi muon lam viec o han quoc",
     [("toi", "toi", 0, 3), ("muon", "muon", 4, 8), ("lam_viec", "lam_viec", 9, 17), ("o", "o", 18, 19),
      ("han", "han", 20, 23), ("quoc", "quoc", 24, 28)]),
    # the inputs that crash Rasa's own alignment (reference/channels.md): old tone placement, double spaces
    ("Hoà bình", [("hòa", "hoa", 0, 3), ("bình", "binh", 4, 8)]),
    ("thuỷ  thủ", [("thủy", "thuy", 0, 4), ("thủ", "thu", 6, 9)]),
    ("  Cứu tôi!!! ", [("cứu", "cuu", 2, 5), ("tôi", "toi", 6, 9)]),
    # no words at all: one token, never none
    ("😭😭", [("😭😭", "😭😭", 0, 2)]),
    (" 🙏 ", [("🙏", "🙏", 1, 2)]),
    ("...", [("...", "...", 0, 3)]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_tokens(text: str, expected: list[tuple[str, str, int, int]]) -> None:
    assert pinned(tokens_of(text)) == expected


def test_nfd_input_points_into_the_decomposed_text() -> None:
    text = unicodedata.normalize("NFD", "Tôi bị giữ hộ chiếu")
    tokens = tokens_of(text)
    assert pinned(tokens) == [("tôi", "toi", 0, 4), ("bị", "bi", 5, 8), ("giữ", "giu", 9, 14),
                              ("hộ_chiếu", "ho_chieu", 15, 27)]
    for token in tokens:
        typed = unicodedata.normalize("NFC", text[token.start : token.end]).lower()
        assert typed == token.text.replace("_", " ")


def test_nfd_old_tone_placement() -> None:
    assert pinned(tokens_of(unicodedata.normalize("NFD", "Hoà bình"))) == [("hòa", "hoa", 0, 4),
                                                                           ("bình", "binh", 5, 10)]


def test_same_lemmas_with_and_without_diacritics() -> None:
    assert [t.lemma for t in tokens_of("Tôi bị giữ hộ chiếu ở Campuchia")] == \
        [t.lemma for t in tokens_of("toi bi giu ho chieu o campuchia")]


def test_bare_text_without_the_word_in_the_lexicon_is_split_into_syllables() -> None:
    assert [t.text for t in tokens_of("toi bi giu ho chieu", lexicon=frozenset())] == \
        ["toi", "bi", "giu", "ho", "chieu"]


@pytest.mark.parametrize("garbage", [["xyz"], [], ["Tôi bị", "giữ hộ chiếu ở", "Campuchia", "thêm"],
                                     ["tôi", "bị", "giữ", "hộ chiếu", "ở"]])
def test_underthesea_output_that_does_not_line_up_falls_back_to_the_lexicon(
        monkeypatch: pytest.MonkeyPatch, garbage: list[str]) -> None:
    monkeypatch.setattr(tokenizer, "segment_with_underthesea", lambda text: garbage)
    assert pinned(tokens_of("Tôi bị giữ hộ chiếu ở Campuchia")) == PASSPORT


def test_underthesea_output_that_lines_up_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer, "segment_with_underthesea", lambda text: ["tôi bị", "giữ", "hộ", "chiếu"])
    assert pinned(tokens_of("Tôi bị giữ hộ chiếu")) == [("tôi_bị", "toi_bi", 0, 6), ("giữ", "giu", 7, 10),
                                                         ("hộ", "ho", 11, 13), ("chiếu", "chieu", 14, 19)]


def test_after_the_normaliser_a_teencode_token_points_at_what_was_typed() -> None:
    tokens = tokens_of("em ko bít gì", normalised=True)
    assert pinned(tokens) == [("em", "em", 0, 2), ("không", "khong", 3, 5), ("biết", "biet", 6, 9),
                              ("gì", "gi", 10, 12)]


@pytest.mark.parametrize(("text", "expected"), [
    ("bị giữ hc rồi", [("bị", "bi", 0, 2), ("giữ", "giu", 3, 6), ("hộ_chiếu", "ho_chieu", 7, 9),
                       ("rồi", "roi", 10, 13)]),
    ("ko dc", [("không", "khong", 0, 2), ("được", "duoc", 3, 5)]),
    ("cứuuuu tôi với", [("cứu", "cuu", 0, 6), ("tôi", "toi", 7, 10), ("với", "voi", 11, 14)]),
    ("em bị giữ hchieu", [("em", "em", 0, 2), ("bị", "bi", 3, 5), ("giữ", "giu", 6, 9),
                          ("hộ_chiếu", "ho_chieu", 10, 16)]),
    # one typed word that became several normalised words is one token
    ("sđt 0912 333 444", [("số_điện_thoại", "so_dien_thoai", 0, 3), ("0912", "0912", 4, 8),
                          ("333", "333", 9, 12), ("444", "444", 13, 16)]),
])
def test_normaliser_then_tokenizer(text: str, expected: list[tuple[str, str, int, int]]) -> None:
    assert pinned(tokens_of(text, normalised=True)) == expected


MESSAGES = [
    "Tôi bị giữ hộ chiếu ở Campuchia", "toi bi giu ho chieu o campuchia", "bị giữ hc, ko dc gọi về nhà",
    "Lương bn 1 tháng vậy ạ? ko cần bc đúng ko", "ck tiền trước rồi mới đi được hả ad?", "thuỷ  thủ Hoà Bình",
    unicodedata.normalize("NFD", "Đại sứ quán Việt Nam ở Phnôm Pênh"), "😭 cứuuuu emmmm", "sđt 0912 333 444",
]


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("normalised", [False, True])
def test_tokens_are_ordered_and_never_overlap(text: str, normalised: bool) -> None:
    tokens = tokens_of(text, normalised=normalised)
    assert tokens
    previous_end = 0
    for token in tokens:
        assert previous_end <= token.start < token.end <= len(text), (token.text, token.start, token.end)
        previous_end = token.end


def test_process_sets_rasa_tokens() -> None:
    message = Message(data={TEXT: "thuỷ  thủ"})
    make_tokenizer().process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert [(t.text, t.start, t.end) for t in tokens] == [("thủy", 0, 4), ("thủ", 6, 9)]


@pytest.mark.parametrize(("words", "syllables", "sizes"), [
    (["Tôi", "hộ chiếu"], ["tôi", "hộ", "chiếu"], [1, 2]),
    (["Hòa Bình", ","], ["hoà", "bình"], [2]),  # underthesea's tone placement and punctuation
    (["HỘ CHIẾU"], ["hộ", "chiếu"], [2]),
    (["hộ"], ["hộ", "chiếu"], None),  # words run out before the syllables
    (["hộ chiếu", "ở"], ["hộ", "chiếu"], None),  # more words than syllables
    (["hộc", "hiếu"], ["hộ", "chiếu"], None),  # same letters, other boundaries
])
def test_align(words: list[str], syllables: list[str], sizes: list[int] | None) -> None:
    assert align(words, syllables) == sizes


def test_segment_by_lexicon_takes_the_longest_word() -> None:
    lexicon = frozenset({"ho chieu", "dai su", "dai su quan", "ha noi"})
    assert segment_by_lexicon(["dai", "su", "quan", "o", "ha", "noi", "giu", "ho", "chieu"], lexicon) == \
        [3, 1, 2, 1, 2]
