"""Rasa component: Vietnamese word tokens (multi-syllable words as one token) with offsets into the original text.

underthesea segments text that carries diacritics. It rewrites what it returns (tone placement, spacing), so its
words are aligned back to our syllables on the diacritic-folded text rather than searched for in the original.
People often type without diacritics, where underthesea segments poorly; such text is segmented by longest match
against the multi-syllable words underthesea found in the training data, folded. Either way a token's text joins
its syllables with "_" (Rasa's count vectors would split it again on spaces) and its lemma is the folded form, so
"hộ chiếu" and "ho chieu" both give the lemma "ho_chieu".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normaliser import normalised_view
from nlu.text import Normalised, fold, normalise

SYLLABLE = re.compile(r"\w+")
LEXICON_FILE = "lexicon.json"
# Below this share of syllables with diacritics, text is treated as typed without them.
ACCENTED_SHARE = 0.3
MAX_WORD_SYLLABLES = 4


def segment_with_underthesea(text: str) -> list[str]:
    from underthesea import word_tokenize

    return [str(word) for word in word_tokenize(text)]


def align(words: Iterable[str], syllables: list[str]) -> list[int] | None:
    """How many of `syllables` each segmented word covers, or None when the words do not line up with them."""
    folded = [fold(s) for s in syllables]
    sizes: list[int] = []
    index = 0
    for word in words:
        target = "".join(SYLLABLE.findall(fold(word.lower())))
        if not target:
            continue  # punctuation
        joined = ""
        size = 0
        while index + size < len(folded) and len(joined) < len(target):
            joined += folded[index + size]
            size += 1
        if joined != target:
            return None
        sizes.append(size)
        index += size
    return sizes if index == len(folded) else None


def segment_by_lexicon(folded_syllables: list[str], lexicon: frozenset[str]) -> list[int]:
    sizes: list[int] = []
    index = 0
    while index < len(folded_syllables):
        size = 1
        for candidate in range(min(MAX_WORD_SYLLABLES, len(folded_syllables) - index), 1, -1):
            if " ".join(folded_syllables[index : index + candidate]) in lexicon:
                size = candidate
                break
        sizes.append(size)
        index += size
    return sizes


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class VietnameseTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None,
                "prefix_separator_symbol": None}

    def __init__(self, config: dict[str, Any], lexicon: frozenset[str], model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config)
        self._lexicon = lexicon
        self._storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> VietnameseTokenizer:
        return cls(config, frozenset(), model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> VietnameseTokenizer:
        with model_storage.read_from(resource) as directory:
            lexicon = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
        return cls(config, frozenset(lexicon), model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the folded multi-syllable words underthesea finds in the training examples with diacritics."""
        lexicon: set[str] = set()
        for example in training_data.training_examples:
            view = self._view(example, TEXT)
            if view is None or not self._is_accented(view):
                continue
            for word in segment_with_underthesea(view.text):
                syllables = SYLLABLE.findall(fold(word.lower()))
                if 1 < len(syllables) <= MAX_WORD_SYLLABLES:
                    lexicon.add(" ".join(syllables))
        self._lexicon = frozenset(lexicon)
        with self._storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(sorted(lexicon), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @staticmethod
    def _view(message: Message, attribute: str) -> Normalised | None:
        if attribute == TEXT:
            view = normalised_view(message)
            if view is not None:
                return view
        text = message.get(attribute)
        return normalise(text) if isinstance(text, str) else None

    @staticmethod
    def _is_accented(view: Normalised) -> bool:
        syllables = SYLLABLE.findall(view.text)
        accented = sum(1 for s in syllables if fold(s) != s)
        return bool(syllables) and accented / len(syllables) >= ACCENTED_SHARE

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        view = self._view(message, attribute)
        if view is None:
            return []
        spans = [match.span() for match in SYLLABLE.finditer(view.text)]
        if not spans:
            text = view.original.strip()
            if not text:
                return [Token("_", 0, max(len(view.original), 1))]
            start = view.original.index(text)
            return [Token(text, start, start + len(text))]
        syllables = [view.text[start:end] for start, end in spans]
        sizes = None
        if self._is_accented(view):
            sizes = align(segment_with_underthesea(view.text), syllables)
        if sizes is None:
            sizes = segment_by_lexicon([fold(s) for s in syllables], self._lexicon)
        words: list[tuple[int, int, int, int]] = []  # syllables [first, last), original [start, end)
        index = 0
        for size in sizes:
            first = index
            start, end = view.original_span(spans[index][0], spans[index + size - 1][1])
            if words and start < words[-1][3]:
                # One typed word expanded to several ("sđt" → "số điện thoại"): one token, so none overlap.
                first, _, start, _ = words.pop()
            words.append((first, index + size, start, end))
            index += size
        tokens: list[Token] = []
        for first, last, start, end in words:
            text = "_".join(view.text[a:b] for a, b in spans[first:last])
            tokens.append(Token(text, start, end, lemma=fold(text)))
        return tokens
