"""Rasa's rule policy predicting from the last states its rules can look at, and formatting them for its debug log
only when that log is on.

Rasa 3.6's `RulePolicy._find_action_from_rules` runs twice a prediction (text, then intent) and at every one takes
the states of the whole conversation, formats every one of them into a string for a debug line (a string built even
when debug logging is off: 3.7 ms a turn at message ~290, docs/scaling.md), checks every learned rule against every
state (`_get_possible_keys`) and, when no rule applies, turns all the states into one JSON key. All three grow with
the conversation. None of it needs the old states:

- a rule of k states is checked against the last k states only (`_is_rule_applicable` answers True for any state
  further back), so the last `longest rule + 1` states select exactly the rules all of them select;
- the JSON key of the states (the prediction's source when no rule applies) only decides `hide_rule_turn`, by being
  one of the learned rules' keys; a key of more states than the longest rule is none of them, whether it is made of
  `longest + 1` states or of all of them.

So `RulePolicy._prediction_states` returns the last `longest + 1` states, and `RulePolicy.format_tracker_states`
returns a placeholder unless the rule policy's logger is at DEBUG (`caunoi serve rasa --debug`, or LOG_LEVEL). The
memoization policy already predicts from its `max_history` states. Applied by bot/rasa_server/rasa_patch.py, in
`caunoi serve rasa` only; checked against Rasa 3.6.21 (docs/patches.md, tests/dialogue/test_rules_patch.py).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

ORIGINAL_STATES = RulePolicy._prediction_states
ORIGINAL_FORMAT = RulePolicy.format_tracker_states
NOT_FORMATTED = "(states formatted only with debug logging on)"
_LONGEST = "_caunoi_longest_rule"
_log = logging.getLogger("rasa.core.policies.rule_policy")  # the logger Rasa's rule policy writes to


def longest_rule(policy: RulePolicy) -> int:
    """States in the policy's longest rule (its learned lookups do not change once it is loaded)."""
    longest: int | None = policy.__dict__.get(_LONGEST)
    if longest is None:
        keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        longest = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
        policy.__dict__[_LONGEST] = longest
    return longest


def prediction_states(self: RulePolicy, tracker: DialogueStateTracker, domain: Domain,
                      use_text_for_last_user_input: bool = False,
                      rule_only_data: dict[str, Any] | None = None) -> list[State]:
    """`Policy._prediction_states`, the last `longest rule + 1` of them (what a rule can tell apart).

    The featurizer is given that bound as its `max_history` for the call, so that it slices the states before it
    goes over them (`_choose_last_user_input` reads every state it is given); no await in between."""
    bound = longest_rule(self) + 1
    featurizer = self.featurizer
    previous = featurizer.max_history if isinstance(featurizer, MaxHistoryTrackerFeaturizer) else None
    if isinstance(featurizer, MaxHistoryTrackerFeaturizer) and previous is None:
        featurizer.max_history = bound
    try:
        states: list[State] = Policy._prediction_states(self, tracker, domain, use_text_for_last_user_input,
                                                        rule_only_data)
    finally:
        if isinstance(featurizer, MaxHistoryTrackerFeaturizer):
            featurizer.max_history = previous
    return states[-bound:]


def format_tracker_states(states: list[dict[str, Any]]) -> str:
    """`Policy.format_tracker_states` when the rule policy's debug log is written; a placeholder otherwise."""
    if _log.isEnabledFor(logging.DEBUG):
        formatted: str = ORIGINAL_FORMAT(states)
        return formatted
    return NOT_FORMATTED


def apply() -> None:
    RulePolicy._prediction_states = prediction_states
    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)
