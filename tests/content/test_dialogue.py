"""dialogue.yml as typed models, and `caunoi content check` on copies of it broken one way at a time: everything the
actions, the gateway and outreach read must be there, with the right shape and the right {placeholders}."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content import Content, ContentError, load_content
from bot.content.check import check_content
from bot.content.dialogue import FLAGS, QUESTIONS, SCOPES, parse_dialogue

from .conftest import CONTENT_DIR

DIALOGUE = "dialogue.yml"


def test_the_real_dialogue_is_typed(content: Content) -> None:
    dialogue = content.dialogue
    assert dialogue.entry_lines.phone.format(phone="111") == "☎ 111"
    assert set(dialogue.job_check.questions) == set(SCOPES)
    assert dialogue.job_check.questions["abroad"][0] == "job_country"
    assert set(dialogue.job_check.unknown_labels) == set(QUESTIONS)
    assert set(dialogue.job_check.strong_flags) <= set(FLAGS)
    assert dialogue.job_check.max_questions == 6 and dialogue.job_check.interrupt_confidence == 0.8
    # The first value listed wins when several match ("nộp tiền sau khi ký" is after_contract): the order is kept.
    assert list(dialogue.job_check.phrases["job_fee"]) == ["upfront", "after_contract", "none", "asked"]
    assert list(dialogue.job_check.answers) == ["stop", "unknown", "no", "yes"]
    assert dialogue.safety_for_sign[0].signs == ("self_harm", "medical_emergency")
    assert dialogue.safety_for_sign[0].over_report and not dialogue.safety_for_sign[2].over_report
    assert dialogue.answer_for_sign["fear_of_police"].response == "utter_police_fear"
    assert dialogue.answer_for_sign["phone_watched"].article == "safe-phone"
    assert "thôi không cần nữa" in dialogue.withdraw
    assert dialogue.summary.intents["request_human"] == "Muốn nói chuyện với nhân viên hỗ trợ"


def replaced(old: str, new: str) -> tuple[str, str]:
    return old, new


BROKEN: dict[str, tuple[tuple[str, str], str]] = {
    # name: ((text of dialogue.yml, what it becomes), words the problem must contain)
    "a text missing": (replaced('  phone: "☎ {phone}"\n', ""), "entry_lines.phone: missing (a text)"),
    "a misspelt text": (replaced('  nothing: "không có gì được lưu"', '  none: "không có gì được lưu"'),
                        "deleted.none: is not a text anything reads (misspelt?)"),
    "a misspelt part": (replaced("\nwithdraw: [", "\nwithdrawal: ["),
                        "withdrawal: is not a part of the dialogue anything reads (misspelt?)"),
    "a part missing": (replaced("\nwithdraw: [", "\nwithdrawal: ["), "withdraw: missing (a list of texts)"),
    "a placeholder nothing fills": (replaced("khoảng {km} km", "khoảng {kms} km"),
                                    "entry_lines.distance: uses {kms}, which nothing fills in (it may use {km})"),
    "a placeholder missing": (replaced("rồi nhắn mã {code}.", "rồi nhắn mã của chiến dịch."),
                              "outreach.zalo: must contain {code}"),
    "a stray brace": (replaced('more: "Xem thêm: {title}"', 'more: "Xem thêm: {title"'),
                      "articles.more: is not a text with {placeholders}"),
    "a list for a text": (replaced("  korea: Hàn Quốc", "  korea: [Hàn Quốc]"),
                          "job_check.korea: must be a non-empty text"),
    "a word for a number": (replaced("  max_questions: 6", "  max_questions: sáu"),
                            "job_check.max_questions: must be a number from 1 to 8"),
    "a confidence above 1": (replaced("  interrupt_confidence: 0.8", "  interrupt_confidence: 80"),
                             "job_check.interrupt_confidence: must be a number from 0 to 1"),
    "an unknown question": (replaced("    abroad: [job_country,", "    abroad: [job_salary, job_country,"),
                            "job_check.questions.abroad: 'job_salary' is not one of job_country"),
    "a kind of offer without questions": (
        replaced("    fishing: [job_country, job_channel, job_fee, job_at_sea, job_passport_kept, job_secrecy, "
                 "job_contract]\n", ""),
        "job_check.questions.fishing: missing (the questions for this kind of offer)"),
    "an unknown red flag": (replaced("  strong_flags: [tourist_visa,", "  strong_flags: [tourist_visas,"),
                            "job_check.strong_flags: 'tourist_visas' is not one of scam_region"),
    "a question without its label": (replaced('    job_at_sea: "bao lâu tàu về bờ, lương trả cho ai"\n', ""),
                                     "job_check.unknown_labels.job_at_sea: missing (a text)"),
    "an unquoted yes": (replaced('    "yes": [có, rồi,', "    yes: [có, rồi,"),
                        "job_check.answers.True: is not a kind of answer (stop, unknown, no, yes; quote them)"),
    "an unquoted yes among phrases": (replaced('    job_papers:\n      "yes": [visa du lịch,',
                                               "    job_papers:\n      yes: [visa du lịch,"),
                                      "job_check.phrases.job_papers: value True must be a text (quote \"yes\""),
    "a safety response that does not exist": (
        replaced("response: utter_safety_medical,", "response: utter_safety_medic,"),
        "safety_for_sign 1: response utter_safety_medic_vietnam is not in responses/"),
    "an answer response that does not exist": (
        replaced("fear_of_police: {response: utter_police_fear}", "fear_of_police: {response: utter_police_fears}"),
        "answer_for_sign.fear_of_police: response utter_police_fears_abroad is not in responses/"),
    "a sign triage does not have": (
        replaced("signs: [held_at_sea, forced_labour]", "signs: [held_at_sea, forced_labor]"),
        "safety_for_sign 3: 'forced_labor' is not a sign of triage/indicators.yml"),
    "a sign answered by triage without an answer": (
        replaced("  labour_question: {article: labour-trafficking}\n", ""),
        "answer_for_sign: lacks labour_question, which triage/indicators.yml `answered` answers on its own"),
    "an answer that is neither a response nor an article": (
        replaced("fear_of_police: {response: utter_police_fear}", "fear_of_police: {reply: utter_police_fear}"),
        "answer_for_sign.fear_of_police: must hold either response: or article:"),
    "over_report not true or false": (replaced("utter_safety_minor, over_report: true}",
                                               "utter_safety_minor, over_report: always}"),
                                      "safety_for_sign 2: over_report must be true or false"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_dialogue_fails_the_check(name: str, content_copy: Path) -> None:
    (old, new), words = BROKEN[name]
    path = content_copy / DIALOGUE
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {DIALOGUE}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_content(content_copy)
    assert any(p.file == path and words in p.message for p in problems), \
        "\n".join(str(p) for p in problems) or "no problem found"


def test_a_dialogue_that_is_not_a_mapping_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / DIALOGUE
    path.write_text("- entry_lines\n", encoding="utf-8")
    dialogue, reasons = parse_dialogue(path)
    assert dialogue is None and reasons[0] == "must be a mapping"


def test_nothing_starts_with_a_broken_dialogue(content_copy: Path) -> None:
    """The action server and the gateway load the content when they start: a broken dialogue.yml stops them there,
    with the file and the problem named, not on the turn of someone who needs the missing line."""
    path = content_copy / DIALOGUE
    path.write_text(path.read_text(encoding="utf-8").replace("  korea: Hàn Quốc\n", ""), encoding="utf-8")
    with pytest.raises(ContentError, match=r"dialogue\.yml: job_check\.korea: missing \(a text\)"):
        load_content(content_copy)


def test_the_command_names_the_dialogue(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = content_copy / DIALOGUE
    path.write_text(path.read_text(encoding="utf-8").replace("khoảng {km} km", "khoảng {kms} km"), encoding="utf-8")
    assert main(["content", "check", "--content-dir", str(content_copy)]) == 1
    assert f"{path}: entry_lines.distance: uses {{kms}}" in capsys.readouterr().err
    assert main(["content", "check", "--content-dir", str(CONTENT_DIR)]) == 0
