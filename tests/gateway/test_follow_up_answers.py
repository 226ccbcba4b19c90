"""Reading a typed answer to the check-in (bot/gateway/followups.py AnswerReader) on real messages, with and without
diacritics and in teencode, and the follow-up's content file (bot/content/followup.py) as `caunoi content check`
reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.followup import ANSWERS, parse_follow_up
from bot.gateway.dispatch import risk_reader
from bot.gateway.followups import AnswerReader, parse_payload, payload
from bot.settings import PROJECT_ROOT
from nlu.text import Table

CONTENT = PROJECT_ROOT / "content" / "vi"


@pytest.fixture(scope="module")
def reader() -> AnswerReader:
    from bot.content.followup import follow_up_texts

    content = load_content(CONTENT)
    return AnswerReader(follow_up_texts(CONTENT), Table.build(content.teencode.words, content.teencode.keep_doubles),
                        risk_reader(CONTENT))


@pytest.mark.parametrize("text, answer", [
    ("Đã được giúp", "helped"), ("đã được giúp rồi ạ", "helped"), ("da dc giup roi", "helped"),
    ("mình liên hệ được rồi, cảm ơn", "helped"), ("da lien lac duoc", "helped"), ("dc giup r", "helped"),
    ("được giúp rồi, không cần nữa", "helped"),
    ("Chưa liên hệ được", "not_reached"), ("chua lien he duoc", "not_reached"), ("ko lien lac dc", "not_reached"),
    ("gọi mãi không ai nghe máy", "not_reached"), ("em chưa gọi", "not_reached"), ("chưa được giúp", "not_reached"),
    ("Không cần nữa", "not_needed"), ("ko can nua", "not_needed"), ("k can nua dau", "not_needed"),
    ("thôi khỏi", "not_needed"),
    ("1", "helped"), ("2", "not_reached"), ("3.", "not_needed"), (" 2) ", "not_reached"),
    # The question ends in "… chưa?": its own short answers, as the whole message (they went to Rasa, and the
    # question was dropped: a "chưa" never put the person back in the queue).
    ("chưa", "not_reached"), ("chưa ạ", "not_reached"), ("Dạ chưa", "not_reached"), ("vẫn chưa", "not_reached"),
    ("rồi", "helped"), ("rồi ạ", "helped"), ("dc roi", "helped"), ("ko can", "not_needed"),
])
def test_an_answer_is_read(reader: AnswerReader, text: str, answer: str) -> None:
    assert reader.answer(text) == answer


@pytest.mark.parametrize("text", [
    "0", "4", "12", "", "²", "١",
    "cho mình hỏi về hộ chiếu",  # something else: Rasa
    "chưa liên hệ được, thôi không cần nữa",  # two answers that disagree: not guessed
    "mình đã liên hệ được với trung tâm nhưng họ bảo phải chờ thêm hai tuần nữa mới có chỗ ở, giờ mình không biết ở "
    "đâu",  # a long message says more than an answer
    "không cần nữa, họ đang đánh tôi, cứu tôi",  # danger is never an answer: Rasa (and the operators) hear it
    "chưa, họ đang đánh tôi",
    "chưa biết nữa, để mình nghĩ",  # "chưa" inside a longer message says too little
])
def test_anything_else_is_not_an_answer(reader: AnswerReader, text: str) -> None:
    assert reader.answer(text) is None


def test_a_choice_payload_names_the_referral_and_the_answer() -> None:
    for answer in ANSWERS:
        assert parse_payload(payload("r-abc123", answer)) == ("r-abc123", answer)
    assert parse_payload('/find_service{"service_type": "shelter"}') is None
    assert parse_payload("followup:r-abc123:maybe") is None
    assert parse_payload("followup::helped") is None


def test_the_content_file_is_complete() -> None:
    texts, problems = parse_follow_up(CONTENT / "gateway" / "followup.yml")
    assert problems == [] and texts is not None
    assert list(texts.answers) == list(ANSWERS)
    assert "{organisation}" in texts.question and "{organisation}" in texts.queue_reason
    # The operators read the reasons in the console, which calls the person "người nhắn" (since #25).
    assert [name for name, text in texts.skipped.items() if "người này" in text or "người dùng" in text] == []


@pytest.mark.parametrize("change, problem", [
    (("bạn đã liên hệ được với {organisation} chưa?", "bạn đã liên hệ được chưa?"), "question must contain"),
    (("bạn đã liên hệ được với {organisation} chưa?", "bạn đã liên hệ được với {org} chưa?"), "question may use"),
    (("  not_needed:\n", "  no_need:\n"), "answers must be exactly"),
    (("    button: Đã được giúp\n", ""), "answers.helped.button"),
    (("  blocked:", "  blocked_bot:"), "skipped.blocked must be"),
    (("    alone: [chưa, ", "    alone: [[chưa], "), "answers.not_reached.alone must be"),
])
def test_a_broken_content_file_is_refused_with_the_reason(tmp_path: Path, change: tuple[str, str],
                                                          problem: str) -> None:
    text = (CONTENT / "gateway" / "followup.yml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "followup.yml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    texts, problems = parse_follow_up(path)
    assert texts is None and any(problem in str(item) for item in problems), problems
