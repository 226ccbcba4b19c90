"""Risk over a whole conversation: signs add up across turns ("passport kept" now, "cannot leave" later).

Used by the escalation policy inside Rasa and by the escalation action, both from the texts and intents of the
person's messages, so that test stories (which carry no parse data) are judged exactly like live conversations.
"""

from __future__ import annotations

from collections.abc import Iterable

from nlu.tables import Teencode, TriageRules
from nlu.text import Table, normalise
from nlu.triage import Risk, Triage


class ConversationRisk:
    def __init__(self, triage_rules: TriageRules, teencode: Teencode):
        self._triage = Triage(triage_rules)
        self._table = Table.build(teencode.words, teencode.keep_doubles)

    @property
    def triage(self) -> Triage:
        return self._triage

    def of(self, texts: Iterable[str], intents: Iterable[str] = ()) -> Risk:
        """Texts that are button payloads ("/intent{…}") carry no words of the person and are skipped."""
        indicators: set[str] = set()
        for text in texts:
            if text and not text.lstrip().startswith("/"):
                indicators |= self._triage.indicators_in(normalise(text, self._table))
        return self._triage.grade(indicators, list(intents))

    def over(self, risk: Risk) -> bool:
        """The person said it happened and is over ("giờ đã về nhà"), and nothing in `risk` says danger now."""
        past = self._triage.past_indicator
        return past is not None and past in risk.indicators and risk.level != "high"
