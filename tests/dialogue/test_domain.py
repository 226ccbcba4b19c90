"""The domain, rules, forms and actions agree: every response used exists, every response is used, and Rasa's
validator finds nothing — except its known blind spot for responses sent by custom actions and forms."""

from __future__ import annotations

import re

import pytest

from actions.job_rules import VERDICTS
from bot.content import load_content
from bot.content.dialogue import FLAGS, PLACES, SCOPES, placed
from bot.settings import PROJECT_ROOT

ACTIONS = PROJECT_ROOT / "actions"


@pytest.fixture(scope="module")
def domain() -> object:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_ROOT / "domain"))


def responses_named_in_actions() -> set[str]:
    named: set[str] = set()
    for file in ACTIONS.glob("*.py"):
        named |= set(re.findall(r'"(utter_[a-z0-9_]+)"', file.read_text(encoding="utf-8")))
    # Names built at run time (actions/job_verdict.py): every verdict, every flag, the next steps of every scope.
    named |= {f"utter_job_verdict_{verdict}" for verdict in VERDICTS} | {f"utter_flag_{flag}" for flag in FLAGS}
    # Safety messages chosen by sign and place (actions/escalate.py, actions/safety_answer.py).
    dialogue = load_content(PROJECT_ROOT / "content" / "vi").dialogue
    chosen = [rule.response for rule in dialogue.safety_for_sign]
    chosen += [answer.response for answer in dialogue.answer_for_sign.values() if answer.response]
    named |= {placed(response, place) for response in chosen for place in PLACES}
    named |= {f"utter_job_next_steps_{scope}" for scope in SCOPES}
    return named


def responses_asked_by_forms(domain: object) -> set[str]:
    forms = domain.forms  # type: ignore[attr-defined]
    return {f"utter_ask_{slot}" for form in forms.values() for slot in form["required_slots"]}


def responses_in_rules() -> set[str]:
    found: set[str] = set()
    for file in (PROJECT_ROOT / "data").rglob("*.yml"):
        found |= set(re.findall(r"action: (utter_[a-z0-9_]+)", file.read_text(encoding="utf-8")))
    return found


def test_every_response_used_exists_and_every_response_is_used(domain: object) -> None:
    defined = set(domain.responses)  # type: ignore[attr-defined]
    used = responses_named_in_actions() | responses_asked_by_forms(domain) | responses_in_rules()
    assert used - defined == set(), "used but not defined"
    assert defined - used == set(), "defined but never used"


def test_every_custom_action_in_the_domain_has_one_module(domain: object) -> None:
    custom = {name for name in domain.user_actions if name.startswith("action_")}  # type: ignore[attr-defined]
    modules = {f.stem for f in ACTIONS.glob("*.py")}
    declared_in_code = set()
    for file in ACTIONS.glob("*.py"):
        declared_in_code |= set(re.findall(r'return "(action_[a-z_]+)"', file.read_text(encoding="utf-8")))
    assert custom == declared_in_code
    for action in custom:
        assert action.removeprefix("action_") in modules, f"{action} should live in actions/{action[7:]}.py"


def test_rasa_validator_finds_nothing_else(domain: object, recwarn: pytest.WarningsRecorder) -> None:
    import asyncio

    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain"),
        [str(PROJECT_ROOT / "data"), str(PROJECT_ROOT / "content" / "vi" / "nlu")],
    )
    validator = Validator.from_importer(importer)
    result = asyncio.run(asyncio.to_thread(lambda: [
        validator.verify_intents_in_stories(False),
        validator.verify_utterances_in_stories(False),
        validator.verify_story_structure(False),
        validator.verify_slot_mappings(),
        validator.verify_forms_in_domain() if hasattr(validator, "verify_forms_in_domain") else True,
        validator.verify_example_repetition_in_intents(False),
        validator.verify_domain_validity(),
    ]))
    blind_spot = responses_named_in_actions() | responses_asked_by_forms(domain)
    unexpected = []
    for warning in recwarn:
        text = str(warning.message)
        unused = re.search(r"The utterance '(utter_[a-z0-9_]+)' is not used in any story or rule", text)
        if unused and unused.group(1) in blind_spot:
            continue
        if text.startswith("Slot auto-fill has been removed in 3.0"):
            continue  # printed unconditionally by Rasa 3.6 whenever slot mappings are validated
        if "is not used in any story or rule" in text or "Validat" in text or "intent" in text or "slot" in text:
            unexpected.append(text)
    assert unexpected == []
    assert result[2] is True  # no story structure conflicts
