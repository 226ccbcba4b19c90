"""The evaluation's metric functions on tiny hand-made inputs, and the held-out split kept out of training."""

from __future__ import annotations

import re

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from evaluation import metrics
from evaluation.pipelines import NLU_DATA
from evaluation.testset import load_test_split
from nlu.text import fold

LABELS = frozenset({"greet", "deny", "report_danger"})


def test_macro_f1_averages_per_intent_f1() -> None:
    gold = ["greet", "greet", "deny", "report_danger"]
    predicted = ["greet", "deny", "deny", "report_danger"]
    # greet P 1 R .5 F .667; deny P .5 R 1 F .667; report_danger F 1
    assert metrics.macro_f1(gold, predicted, LABELS) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_fallback_counts_as_wrong_but_against_no_intent() -> None:
    gold = ["greet", "deny"]
    predicted = ["nlu_fallback", "deny"]
    table = metrics.per_label(gold, predicted, {"greet", "deny"})
    assert table["greet"].recall == 0.0
    assert table["deny"].precision == 1.0
    assert metrics.accuracy(gold, predicted) == 0.5
    assert metrics.macro_f1(gold, predicted, {"greet", "deny"}) == pytest.approx(0.5)


def test_macro_f1_skips_intents_absent_from_a_subset() -> None:
    assert metrics.macro_f1(["greet"], ["greet"], LABELS) == 1.0


def test_high_risk_recall_counts_only_high_risk_gold() -> None:
    gold = ["report_danger", "express_distress", "report_suspected_trafficking", "greet"]
    escalated = [True, False, True, True]
    assert metrics.high_risk_recall(gold, escalated) == pytest.approx(2 / 3)


def test_false_escalation_is_a_share_of_the_other_messages() -> None:
    gold = ["report_danger", "greet", "deny", "thank", "affirm"]
    escalated = [True, True, False, False, False]
    assert metrics.false_escalation_rate(gold, escalated) == pytest.approx(1 / 4)


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        metrics.high_risk_recall(["greet"], [True, False])


def test_entities_match_on_type_value_and_span() -> None:
    gold = [{("country", "Campuchia", 10, 15)}, {("province", "Hà Nội", 0, 2)}]
    predicted = [{("country", "Campuchia", 10, 15), ("country", "Lào", 20, 23)},
                 {("province", "Hà Nội", 0, 3)}]
    scores = metrics.entity_scores(gold, predicted)
    assert (scores.correct, scores.gold, scores.predicted) == (1, 2, 3)
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == pytest.approx(1 / 2)
    assert metrics.entity_scores(gold, [set(), set()]).precision is None


def test_confusions_most_frequent_first() -> None:
    gold = ["deny", "deny", "greet", "greet"]
    predicted = ["greet", "greet", "deny", "greet"]
    assert metrics.confusions(gold, predicted) == [("deny", "greet", 2), ("greet", "deny", 1)]


def test_the_held_out_split_stays_out_of_the_training_data() -> None:
    def key(text: str) -> str:
        return " ".join(re.findall(r"\w+", fold(text.lower())))

    training = {key(str(m.get("text"))) for m in load_data(str(NLU_DATA)).intent_examples}
    assert [e.text for e in load_test_split() if key(e.text) in training] == []
