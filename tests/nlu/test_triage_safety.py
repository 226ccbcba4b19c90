"""Triage of the safety paths on the real rules: self-harm and medical emergencies, a child writing, fear of the
police, a watched phone, men held at sea or in a workshop — with and without diacritics, in teencode."""

from __future__ import annotations

import pytest

from nlu import tables
from tests.nlu.real_content import triage_document
from tests.nlu.test_triage import REASONS, TRIAGE, view


def signs(text: str) -> frozenset[str]:
    return TRIAGE.indicators_in(view(text))


@pytest.mark.parametrize(("message", "sign"), [
    # self-harm
    ("tôi muốn chết", "self_harm"),
    ("muon chet qua", "self_harm"),
    ("k muon song nua", "self_harm"),
    ("ko muon song nua", "self_harm"),
    ("em vừa uống hết cả lọ thuốc ngủ", "self_harm"),
    ("sống làm gì nữa, chết quách cho xong", "self_harm"),
    # medical emergencies
    ("tôi uống thuốc quá liều", "medical_emergency"),
    ("toi uong thuoc qua lieu roi", "medical_emergency"),
    ("bạn em bị đâm, chảy máu nhiều lắm", "medical_emergency"),
    ("ban e bi dam chay mau nhieu lam", "medical_emergency"),
    ("anh ấy bất tỉnh rồi", "medical_emergency"),
    ("nó ngất xỉu, khó thở", "medical_emergency"),
    ("cần cấp cứu gấp", "medical_emergency"),
    ("can cap cuu gap", "medical_emergency"),
    ("toi bi thuong can di vien", "medical_emergency"),
    ("tôi bị thương, phải đi bệnh viện", "medical_emergency"),
    ("tôi bị mất máu", "medical_emergency"),
    # a child writing about themself
    ("em mới 15 tuổi", "minor_self"),
    ("em moi 15 tuoi", "minor_self"),
    ("e ms 15t", "minor_self"),
    ("chào chị, em 16 tuổi, có người rủ đi làm", "minor_self"),
    ("chao chi e 16t co nguoi ru di lam", "minor_self"),
    ("mình học lớp 9", "minor_self"),
    ("em là hs lớp 9", "minor_self"),
    ("hs lop 9, co nguoi ru em di cam", "minor_self"),
    ("tôi chưa đủ 18", "minor_self"),
    ("năm nay em 14 tuổi", "minor_self"),
    # fear of the police
    ("tôi sợ công an", "fear_of_police"),
    ("toi so cong an lam", "fear_of_police"),
    ("em không dám báo công an", "fear_of_police"),
    ("e k dam bao cong an", "fear_of_police"),
    ("tôi vượt biên trái phép có bị bắt không", "fear_of_police"),
    ("toi vuot bien trai phep co bi bat ko", "fear_of_police"),
    # a watched phone
    ("họ kiểm tra điện thoại của tôi", "phone_watched"),
    ("ho kiem tra dien thoai cua toi", "phone_watched"),
    ("làm sao giấu tin nhắn này", "phone_hide"),
    ("lam sao an tin nhan", "phone_hide"),
    ("giau doan chat nay the nao", "phone_hide"),
    ("sợ chồng đọc được tin nhắn", "phone_watched"),
    ("so ck doc dc tin nhan", "phone_watched"),
    # men held at sea or in a workshop
    ("chủ tàu không cho lên bờ", "held_at_sea"),
    ("chu tau khong cho len bo", "held_at_sea"),
    ("tôi bị giữ trên tàu cá 8 tháng", "held_at_sea"),
    ("toi bi giu tren tau ca 8 thang", "held_at_sea"),
    ("bị đánh trên tàu", "held_at_sea"),
    ("bi danh tren tau", "held_at_sea"),
    ("bọn em bị nhốt ở xưởng", "forced_labour"),
    ("bon e bi nhot o xuong", "forced_labour"),
    ("họ bắt làm không công", "forced_labour"),
    # a question about labour trafficking
    ("đàn ông có bị mua bán không", "labour_question"),
    ("dan ong co bi mua ban khong", "labour_question"),
    ("làm tàu cá bị bóc lột lao động thì sao", "labour_question"),
])
def test_a_safety_sign_is_found(message: str, sign: str) -> None:
    assert sign in signs(message), sorted(signs(message))


@pytest.mark.parametrize(("message", "level"), [
    ("tôi uống thuốc quá liều", "high"),
    ("k muon song nua", "high"),
    ("em mới 15 tuổi", "high"),  # a child: always a human, first (vn-facts §7)
    ("chu tau khong cho len bo", "high"),
    ("bon e bi nhot o xuong", "high"),
    ("tôi sợ công an", "low"),  # a worry, answered without a human unless the person asks
    ("ho kiem tra dien thoai cua toi", "low"),
    ("dan ong co bi mua ban khong", "low"),
])
def test_levels(message: str, level: str) -> None:
    assert TRIAGE.assess(view(message), None).level == level


@pytest.mark.parametrize("message", [
    "con tôi 15 tuổi",  # a parent writing: `minor`, not the child's own reply
    "con toi 15 tuoi",
    "em gái tôi học lớp 8",
    "bạn em 16 tuổi bị rủ đi",
    "giải giúp em bài hóa lớp 9",
    "tôi 25 tuổi",
    "em 19t",
])
def test_someone_else_or_an_adult_is_not_a_child_writing(message: str) -> None:
    assert "minor_self" not in signs(message)


@pytest.mark.parametrize("message", [
    "tôi đang uống thuốc cảm",
    "toi dang uong thuoc cam",
    "làm sao giàu",
    "hôm nay mệt muốn chết",
    "cô ấy đi tàu về quê",
    "bức tranh bị mất màu",
    "tôi có giặt đồ",
])
def test_everyday_words_are_not_safety_signs(message: str) -> None:
    found = signs(message) & {"self_harm", "medical_emergency", "phone_watched", "phone_hide", "held_at_sea",
                              "forced_labour",
                              "fear_of_police", "minor_self"}
    assert not found


def test_reasons_the_operator_reads_name_the_kind_of_emergency() -> None:
    assert REASONS["self_harm"].startswith("Tự hại")
    assert REASONS["medical_emergency"].startswith("Cấp cứu y tế")
    assert REASONS["minor_self"].startswith("Trẻ vị thành niên")
    risk = TRIAGE.assess(view("toi uong thuoc qua lieu roi"), None)
    assert risk.reasons[0] == REASONS["medical_emergency"]


def test_a_child_giving_their_age_is_one_sign_not_several() -> None:
    risk = TRIAGE.assess(view("em 17 tuoi, co nguoi tuyen lam phuc vu quan bar"), None)
    assert risk.level == "high" and {"minor", "minor_self"} <= risk.indicators
    assert "Nhiều dấu hiệu của mua bán người cùng lúc" not in risk.reasons


def test_self_harm_and_medical_emergencies_are_urgent() -> None:
    assert TRIAGE.urgent == {"self_harm", "medical_emergency"}


@pytest.mark.parametrize(("message", "intent", "answered"), [
    ("tôi sợ công an", "ask_support_policy", "fear_of_police"),
    ("ho kiem tra dien thoai cua toi", "out_of_scope", "phone_watched"),
    ("ho kiem tra dien thoai, lam sao giau tin nhan", "delete_my_data", "phone_hide"),
    ("bọn nó kiểm tra điện thoại, xóa hết đi", "delete_my_data", None),  # a plain delete request: its own flow
    ("dan ong co bi mua ban khong", "ask_support_policy", "labour_question"),
    ("di lam tau ca o dai loan co an toan ko", "check_job_offer", None),  # the job-offer check answers it
    ("muốn đi làm tàu cá Hàn Quốc hợp pháp thì làm sao", "ask_safe_migration", None),  # the migration guide
    ("chào bạn", "greet", None),
])
def test_signs_with_an_answer_of_their_own(message: str, intent: str, answered: str | None) -> None:
    assert TRIAGE.answered(signs(message), intent) == answered


def test_an_unknown_sign_in_urgent_fails_when_the_rules_load() -> None:
    with pytest.raises(tables.TableError, match="urgent: 'no_such_sign' is not an indicator"):
        tables.TRIAGE.of({"triage/indicators.yml": {**triage_document(), "urgent": ["no_such_sign"]}})
