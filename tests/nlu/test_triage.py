"""Triage on the real rules: signs of trafficking in real messages, with and without diacritics."""

from __future__ import annotations

import pytest

from nlu import tables
from nlu.text import Normalised, normalise
from nlu.triage import Triage
from tests.nlu.real_content import TABLE, TRIAGE_RULES, triage_document

RULES = TRIAGE_RULES
TRIAGE = Triage(RULES)
REASONS = {indicator.id: indicator.reason for indicator in RULES.indicators}


def view(text: str) -> Normalised:
    return normalise(text, TABLE)


# (message, level, indicators that must be among those found)
CASES = [
    # documents taken
    ("Công ty giữ hộ chiếu của tôi không trả", "high", {"documents_taken"}),
    ("cong ty giu ho chieu cua toi khong tra", "high", {"documents_taken"}),
    ("em bị giữ hc rồi", "high", {"documents_taken"}),
    ("chủ thu hết giấy tờ của bọn em", "high", {"documents_taken"}),
    # confinement
    ("Họ nhốt tôi trong phòng", "high", {"confinement"}),
    ("ho khong cho toi ve nuoc", "high", {"confinement"}),
    ("khu này có dây thép gai, không ai ra được", "high", {"confinement"}),
    # violence
    ("Tôi bị đánh hằng ngày", "high", {"violence"}),
    ("toi bi danh hang ngay", "high", {"violence"}),
    ("họ chích điện em khi không làm đủ", "high", {"violence"}),
    # ransom and debt bondage
    ("Họ đòi gia đình tôi nộp tiền chuộc 10.000 đô", "high", {"ransom_debt"}),
    ("ho doi gia dinh toi nop tien chuoc", "high", {"ransom_debt"}),
    ("muốn về phải đền hợp đồng 5000 đô", "high", {"ransom_debt"}),
    # forced scamming
    ("Họ bắt tôi lừa đảo người Việt qua mạng", "high", {"forced_scamming"}),
    ("ho bat toi lua dao nguoi viet qua mang", "high", {"forced_scamming"}),
    ("ngày nào cũng phải chạy chỉ tiêu, không đạt chỉ tiêu là bị phạt", "high", {"forced_scamming"}),
    # sexual exploitation
    ("Tôi bị ép tiếp khách ở quán karaoke", "high", {"sexual_exploitation"}),
    ("toi bi ep tiep khach o quan karaoke", "high", {"sexual_exploitation"}),
    ("họ bán em cho nhà chứa", "high", {"sexual_exploitation"}),
    # forced marriage
    ("Môi giới ép tôi lấy chồng Trung Quốc", "high", {"forced_marriage"}),
    ("moi gioi ep toi lay chong trung quoc", "high", {"forced_marriage"}),
    # self-harm
    ("Tôi không muốn sống nữa", "high", {"self_harm"}),
    ("toi khong muon song nua", "high", {"self_harm"}),
    ("mún chít cho xong", "high", {"self_harm"}),
    # a minor with a sign of exploitation: the combination
    ("em 15 tuổi bị bắt tiếp khách", "high", {"minor", "sexual_exploitation"}),
    ("em 15t bi bat tiep khach", "high", {"minor", "sexual_exploitation"}),
    ("con tôi 16 t, họ không trả lương", "high", {"minor", "wage_withholding"}),
    ("con toi 16 t, ho khong tra luong", "high", {"minor", "wage_withholding"}),
    ("em học lớp 9, có người rủ đi làm việc nhẹ lương cao", "high", {"minor", "deception"}),
    # two medium signs together
    ("Tôi bị nợ lương 3 tháng và không được liên lạc với gia đình", "high",
     {"wage_withholding", "isolation"}),
    ("toi bi no luong 3 thang va khong duoc lien lac voi gia dinh", "high",
     {"wage_withholding", "isolation"}),
    ("bị giữ lương, làm 16h một ngày", "high", {"wage_withholding", "excessive_work"}),
    # one medium sign alone
    ("em bị mất liên lạc với nhà", "medium", {"isolation"}),
    ("bên đó tuyển việc nhẹ lương cao, không cần kinh nghiệm", "medium", {"deception"}),
    ("con tôi 15 tuổi", "medium", {"minor"}),
    ("làm việc 18 tiếng mỗi ngày", "medium", {"excessive_work"}),
]


@pytest.mark.parametrize(("message", "level", "indicators"), CASES, ids=[case[0] for case in CASES])
def test_signs_in_a_message(message: str, level: str, indicators: set[str]) -> None:
    risk = TRIAGE.assess(view(message), None)
    assert risk.level == level
    assert indicators <= risk.indicators
    possible = {REASONS[i] for i in risk.indicators} | {c.reason for c in RULES.combinations}
    assert risk.reasons[0] in possible


@pytest.mark.parametrize("message", [
    "chào bạn",
    "chao ban",
    "tôi muốn đi Nhật làm việc hợp pháp",
    "toi muon di nhat lam viec hop phap",
    "công ty giữ hộ chiếu cho an toàn",  # exclude: a question about keeping one's own passport safe
    "cong ty giu ho chieu cho an toan",
    "tôi bị đánh thức lúc 5 giờ",  # exclude: "woken up", not violence
    "toi bi danh thuc luc 5 gio",
    "hôm nay mệt muốn chết",  # exclude: hyperbole, not self-harm
    "tôi vay 2t ngân hàng",  # "2t" can be 2 tỷ: only "2 tuổi" is an age
    "làm 8 tiếng một ngày",
    "bạn tôi bị bận",  # "bi ban" bare is bị bận, not "bị bán"
    "toi bi ban",
])
def test_innocent_messages(message: str) -> None:
    risk = TRIAGE.assess(view(message), None)
    assert risk.level in {"none", "low"}, (risk.level, sorted(risk.indicators))


def test_earlier_signs_add_up_with_this_message() -> None:
    now = view("họ lấy mất điện thoại của em, không cho liên lạc")
    assert TRIAGE.assess(now, None).level == "medium"
    risk = TRIAGE.assess(now, None, earlier={"wage_withholding"})
    assert risk.level == "high"
    assert risk.indicators == {"wage_withholding", "isolation"}
    assert "Nhiều dấu hiệu của mua bán người cùng lúc" in risk.reasons


def test_an_earlier_minor_makes_a_later_exploitation_sign_a_combination() -> None:
    risk = TRIAGE.assess(view("giờ họ giữ hộ chiếu rồi"), None, earlier={"minor"})
    assert risk.level == "high"
    assert "Có trẻ vị thành niên và dấu hiệu bóc lột" in risk.reasons


def test_earlier_signs_alone_keep_the_level() -> None:
    assert TRIAGE.assess(view("cảm ơn bạn"), None, earlier={"violence"}).level == "high"
    assert TRIAGE.assess(view("cảm ơn bạn"), None, earlier={"unknown_indicator"}).level == "none"


def test_intent_levels() -> None:
    danger = TRIAGE.assess(view("giúp tôi với"), "report_danger")
    assert danger.level == "high"
    assert danger.reasons == ("Người viết đang gặp nguy hiểm hoặc bị bóc lột",)
    job = TRIAGE.assess(view("công ty này tuyển đi Nhật có thật không"), "check_job_offer")
    assert job.level == "low"
    assert job.reasons == ("Hỏi về một lời mời việc làm",)
    assert TRIAGE.assess(view("chào bạn"), "greet").level == "none"


def test_the_highest_level_comes_first_and_reasons_are_not_repeated() -> None:
    risk = TRIAGE.assess(view("công ty này nợ lương, họ nhốt tôi, nhốt tôi trong phòng"), "check_job_offer")
    assert risk.level == "high"
    assert risk.reasons[0] == REASONS["confinement"]
    assert risk.reasons[-1] == "Hỏi về một lời mời việc làm"
    assert len(risk.reasons) == len(set(risk.reasons))


def test_as_dict() -> None:
    risk = TRIAGE.assess(view("toi khong muon song nua"), None)
    assert risk.as_dict() == {"level": "high", "reasons": [REASONS["self_harm"]], "indicators": ["self_harm"]}


def test_an_unknown_level_fails_when_the_rules_load() -> None:
    rules = {**triage_document(), "intents": {"greet": {"level": "urgent", "reason": "?"}}}
    with pytest.raises(tables.TableError, match="intent greet: level 'urgent' is not one of none, low, medium, high"):
        tables.TRIAGE.of({"triage/indicators.yml": rules})
