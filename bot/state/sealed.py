"""Message text at rest: sealed (encrypted and authenticated) with keys from the environment.

A Redis dump, a copied AOF file or a backup then holds no message text; reading it needs CAUNOI_DATA_KEYS.
Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) because MultiFernet is key rotation as it is: the
first key seals, every listed key opens, and `caunoi keys rotate` (bot/state/rotation.py) re-seals stored values under
the first key, after which the old key can be dropped.

A sealed value is `s1:` followed by the Fernet token. A value without that mark was stored before encryption was
turned on: it is read as it is, so an upgrade loses nothing, and `caunoi keys rotate` seals it.

A value that grows by appending (Rasa's tracker, bot/rasa_server/tracker_store.py) is sealed in chunks: `c1:` and
Fernet tokens separated by `|`, each sealing a piece of the text; the text is the pieces one after the other. A
writer appends `chunk(more)` to the stored value (Redis APPEND) instead of sealing the whole text again. Opening,
rotating (a chunked value is re-sealed as one chunk under the first key) and erasing treat it as any other value.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Secret, Settings, SettingsError, get_settings

MARK = "s1:"
CHUNKED = "c1:"
_BETWEEN = "|"  # not in Fernet's URL-safe base64
MISSING = ("CAUNOI_DATA_KEYS is not set: message texts in Redis are encrypted with it. Make a key with "
           "`caunoi keys new` and put it in the environment (`caunoi run` without REDIS_URL makes one per run)")


class Unreadable(ValueError):
    """A sealed value that none of the configured keys opens (its key left CAUNOI_DATA_KEYS too early)."""


def new_key() -> str:
    """A fresh random data key, in the form CAUNOI_DATA_KEYS takes."""
    return Fernet.generate_key().decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith((MARK, CHUNKED))


def is_chunked(value: str) -> bool:
    return value.startswith(CHUNKED)


def chunk_count(value: str) -> int:
    """How many chunks a chunked value has (0 for any other value)."""
    return value.count(_BETWEEN) + 1 if is_chunked(value) else 0


class Sealer:
    """Seals and opens strings with the configured keys; the first key seals."""

    def __init__(self, keys: Sequence[Secret]):
        if not keys:
            raise SettingsError(MISSING)
        fernets = [Fernet(key.reveal()) for key in keys]
        self._current = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        return cls(settings.data_keys)

    def seal(self, text: str) -> str:
        return MARK + self._token(text)

    def seal_chunked(self, text: str) -> str:
        """`text` as a chunked value of one chunk, to which `chunk` pieces can be appended."""
        return CHUNKED + self._token(text)

    def chunk(self, more: str) -> str:
        """What to append to a chunked value so that its text goes on with `more`."""
        return _BETWEEN + self._token(more)

    def _token(self, text: str) -> str:
        return self._all.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, value: str) -> str:
        """The text of a sealed value; a value from before encryption is returned unchanged."""
        if is_chunked(value):
            return "".join(self._open(token) for token in value[len(CHUNKED):].split(_BETWEEN))
        if not is_sealed(value):
            return value
        return self._open(value[len(MARK):])

    def _open(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise Unreadable("a stored value is sealed with a key that CAUNOI_DATA_KEYS no longer holds") from None

    def is_current(self, value: str) -> bool:
        """True when the value is sealed under the first key, every chunk of it (nothing for a rotation to do)."""
        if is_chunked(value):
            tokens = value[len(CHUNKED):].split(_BETWEEN)
        elif is_sealed(value):
            tokens = [value[len(MARK):]]
        else:
            return False
        try:
            for token in tokens:
                self._current.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def reseal(self, value: str) -> str:
        """The value sealed under the first key (plain text is sealed; a chunked value becomes one chunk);
        Unreadable when no key opens it."""
        if is_chunked(value):
            return self.seal_chunked(self.open(value))
        return self.seal(self.open(value))


@functools.lru_cache(maxsize=1)
def process_sealer() -> Sealer:
    """The sealer of this process's settings: for stores built without one (the action server, tools)."""
    return Sealer.from_settings(get_settings())
