"""bot/rasa_server/rules_patch.py: the rule policy of the trained model predicts exactly as Rasa's own, at every step
of a long conversation, from the last states only; and it formats those states for its debug log only when that log
is on."""

from __future__ import annotations

import hashlib
import inspect
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer, TrackerFeaturizer
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server import model, rules_patch
from bot.settings import get_settings

# What the patch relies on, as Rasa 3.6.21 wrote it (docs/patches.md). A change in any of them fails here: read
# bot/rasa_server/rules_patch.py's reasoning again against the new code, then update the digest.
RELIED_ON = {
    "RulePolicy._find_action_from_rules": RulePolicy._find_action_from_rules,
    "RulePolicy._is_rule_applicable": RulePolicy._is_rule_applicable,
    "RulePolicy._get_possible_keys": RulePolicy._get_possible_keys,
    "RulePolicy._create_feature_key": RulePolicy._create_feature_key,
    "RulePolicy._rule_prediction": RulePolicy._rule_prediction,
    "RulePolicy._predict": RulePolicy._predict,
    "Policy._prediction_states": Policy._prediction_states,
    "Policy.format_tracker_states": Policy.format_tracker_states,
    "MaxHistoryTrackerFeaturizer.prediction_states": MaxHistoryTrackerFeaturizer.prediction_states,
    "MaxHistoryTrackerFeaturizer.slice_state_history": MaxHistoryTrackerFeaturizer.slice_state_history,
    "TrackerFeaturizer._choose_last_user_input": TrackerFeaturizer._choose_last_user_input,
}
DIGEST = "ae6a620dd3597e37"


def _digest() -> str:
    digest = hashlib.sha256()
    for name, function in sorted(RELIED_ON.items()):
        digest.update(name.encode() + b"\0" + inspect.getsource(function).encode() + b"\0")
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulePolicy, Domain]:
    archive, _ = model.train(get_settings(), quiet=True)
    storage_path: Path = tmp_path_factory.mktemp("model")
    storage, metadata = LocalModelStorage.from_model_archive(storage_path, archive)
    name, node = next((name, node) for name, node in metadata.predict_schema.nodes.items()
                      if node.uses is RulePolicy)
    assert node.resource is not None
    policy = RulePolicy.load({**RulePolicy.get_default_config(), **node.config}, storage, node.resource,
                             ExecutionContext(metadata.predict_schema, node_name=name))
    return policy, metadata.domain


@pytest.fixture
def patched() -> Iterator[None]:
    with mock.patch.object(RulePolicy, "_prediction_states", rules_patch.ORIGINAL_STATES), \
            mock.patch.object(RulePolicy, "format_tracker_states", staticmethod(rules_patch.ORIGINAL_FORMAT)):
        rules_patch.apply()
        yield


def _outcome(prediction: PolicyPrediction) -> tuple[Any, ...]:
    return (prediction.probabilities, prediction.events, prediction.optional_events,
            prediction.is_end_to_end_prediction, prediction.is_no_user_prediction, prediction.hide_rule_turn,
            prediction.policy_name, prediction.action_metadata)


def _both(policy: RulePolicy, tracker: DialogueStateTracker, domain: Domain) -> tuple[PolicyPrediction, Any]:
    ours = policy.predict_action_probabilities(tracker, domain)
    with mock.patch.object(RulePolicy, "_prediction_states", rules_patch.ORIGINAL_STATES), \
            mock.patch.object(RulePolicy, "format_tracker_states", staticmethod(rules_patch.ORIGINAL_FORMAT)):
        theirs = policy.predict_action_probabilities(tracker, domain)
    return ours, theirs


def test_rasa_itself_formats_every_state_with_debug_off(trained: tuple[RulePolicy, Domain]) -> None:
    """Why the patch exists: if Rasa stops formatting (and taking) the whole conversation's states, it can go."""
    policy, domain = trained
    tracker = DialogueStateTracker("tg:1", domain.slots)
    tracker.update_with_events([ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                                ActionExecuted(ACTION_LISTEN_NAME)], domain)
    for _ in range(20):
        tracker.update_with_events([UserUttered("…", {"name": domain.intents[0], "confidence": 1.0}),
                                    ActionExecuted("utter_greet"), ActionExecuted(ACTION_LISTEN_NAME)], domain)
    tracker.update(UserUttered("…", {"name": domain.intents[0], "confidence": 1.0}))
    assert not logging.getLogger("rasa.core.policies.rule_policy").isEnabledFor(logging.DEBUG)
    with mock.patch.object(RulePolicy, "format_tracker_states", wraps=Policy.format_tracker_states) as formatted:
        policy.predict_action_probabilities(tracker, domain)
    assert formatted.call_count >= 1
    assert all(len(call.args[0]) > 40 for call in formatted.call_args_list)


def test_the_code_the_patch_relies_on_is_rasa_3_6_21s() -> None:
    assert _digest() == DIGEST, "Rasa's rule policy changed: check bot/rasa_server/rules_patch.py (docs/patches.md)"


def test_every_prediction_of_a_long_conversation_is_rasas_own(trained: tuple[RulePolicy, Domain],
                                                              patched: None) -> None:
    policy, domain = trained
    assert rules_patch.longest_rule(policy) >= 2
    assert isinstance(policy.featurizer, MaxHistoryTrackerFeaturizer) and policy.featurizer.max_history is None
    chooser = random.Random(18)
    intents = [intent for intent in domain.intents if not intent.startswith("/")]
    tracker = DialogueStateTracker("tg:1", domain.slots)
    tracker.update_with_events([ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                                ActionExecuted(ACTION_LISTEN_NAME)], domain)
    predictions = hidden = 0
    for turn in range(80):
        intent = intents[turn % len(intents)] if turn < len(intents) else chooser.choice(intents)
        tracker.update(UserUttered("…", {"name": intent, "confidence": 1.0}), domain)
        for _ in range(4):  # the actions of one turn, as the rule policy predicts them
            ours, theirs = _both(policy, tracker, domain)
            assert _outcome(ours) == _outcome(theirs), (turn, intent)
            predictions += 1
            hidden += ours.hide_rule_turn
            action = domain.action_names_or_texts[ours.max_confidence_index]
            tracker.update(ActionExecuted(action, policy="RulePolicy", hide_rule_turn=ours.hide_rule_turn), domain)
            if action == ACTION_LISTEN_NAME:
                break
            if action in domain.form_names:  # a form that has all it needs at once
                tracker.update_with_events([ActiveLoop(action), ActiveLoop(None)], domain)
            elif action == "action_default_fallback":
                tracker.update_with_events([BotUttered("…"), UserUtteranceReverted()], domain)
                break
            else:
                tracker.update(BotUttered("…"), domain)
    assert predictions > 120
    assert hidden > 0  # rule-only turns were among them
    assert len(rules_patch.ORIGINAL_STATES(policy, tracker, domain)) > 40  # the patch had states to leave out
    assert policy.featurizer.max_history is None  # the featurizer's bound was for the patched calls only


def test_the_states_are_formatted_only_with_debug_logging_on(trained: tuple[RulePolicy, Domain],
                                                             patched: None) -> None:
    states: list[dict[str, Any]] = [{"user": {"intent": "greet"}}, {"prev_action": {"action_name": "utter_greet"}}]
    assert RulePolicy.format_tracker_states(states) == rules_patch.NOT_FORMATTED
    log = logging.getLogger("rasa.core.policies.rule_policy")
    level = log.level
    log.setLevel(logging.DEBUG)
    try:
        assert RulePolicy.format_tracker_states(states) == rules_patch.ORIGINAL_FORMAT(states)
    finally:
        log.setLevel(level)
