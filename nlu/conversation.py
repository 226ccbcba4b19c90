"""Risk over a whole conversation: signs add up across turns ("passport kept" now, "cannot leave" later).

Used by the escalation policy inside Rasa and by the escalation action, both from the texts and intents of the
person's messages, so that test stories (which carry no parse data) are judged exactly like live conversations.

The action reads every message of the conversation when it runs, so the signs of each text are remembered, by a
digest of the text (never the text itself), for the last `REMEMBERED` texts. The policy, which predicts several
times a turn, keeps the union of the signs so far on the tracker and reads only the new messages (`signs_of`;
nlu/escalation_policy.py): a turn's cost stays that of its new message instead of growing with the conversation
(reports/bench.md, turn cost).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable

from nlu.tables import Teencode, TriageRules
from nlu.text import Table, normalise
from nlu.triage import Risk, Triage

REMEMBERED = 20_000  # texts whose signs are kept (a few MB at most)


class ConversationRisk:
    def __init__(self, triage_rules: TriageRules, teencode: Teencode):
        self._triage = Triage(triage_rules)
        self._table = Table.build(teencode.words, teencode.keep_doubles)
        self._signs: OrderedDict[bytes, frozenset[str]] = OrderedDict()

    @property
    def triage(self) -> Triage:
        return self._triage

    def of(self, texts: Iterable[str], intents: Iterable[str] = ()) -> Risk:
        """Texts that are button payloads ("/intent{…}") carry no words of the person and are skipped."""
        indicators: set[str] = set()
        for text in texts:
            indicators |= self.signs_of(text)
        return self._triage.grade(indicators, list(intents))

    def signs_of(self, text: str) -> frozenset[str]:
        """The signs in one message (none in a button payload): `of(texts)` grades the union of these."""
        if text and not text.lstrip().startswith("/"):
            return self._signs_in(text)
        return frozenset()

    def _signs_in(self, text: str) -> frozenset[str]:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        signs = self._signs.get(digest)
        if signs is None:
            signs = frozenset(self._triage.indicators_in(normalise(text, self._table)))
            self._signs[digest] = signs
            if len(self._signs) > REMEMBERED:
                self._signs.popitem(last=False)
        else:
            self._signs.move_to_end(digest)
        return signs

    def over(self, risk: Risk) -> bool:
        """The person said it happened and is over ("giờ đã về nhà"), and nothing in `risk` says danger now."""
        past = self._triage.past_indicator
        return past is not None and past in risk.indicators and risk.level != "high"
