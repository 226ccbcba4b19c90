"""Message text at rest: sealed (encrypted and authenticated) with keys from the environment.

A Redis dump, a copied AOF file or a backup then holds no message text; reading it needs CAUNOI_DATA_KEYS.
Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) because MultiFernet is key rotation as it is: the
first key seals, every listed key opens, and `caunoi keys rotate` (bot/state/rotation.py) re-seals stored values under
the first key, after which the old key can be dropped.

A sealed value is `s1:` followed by the Fernet token. A value without that mark was stored before encryption was
turned on: it is read as it is, so an upgrade loses nothing, and `caunoi keys rotate` seals it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Secret, Settings, SettingsError, get_settings

MARK = "s1:"
MISSING = ("CAUNOI_DATA_KEYS is not set: message texts in Redis are encrypted with it. Make a key with "
           "`caunoi keys new` and put it in the environment (`caunoi run` without REDIS_URL makes one per run)")


class Unreadable(ValueError):
    """A sealed value that none of the configured keys opens (its key left CAUNOI_DATA_KEYS too early)."""


def new_key() -> str:
    """A fresh random data key, in the form CAUNOI_DATA_KEYS takes."""
    return Fernet.generate_key().decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith(MARK)


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
        return MARK + self._all.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, value: str) -> str:
        """The text of a sealed value; a value from before encryption is returned unchanged."""
        if not is_sealed(value):
            return value
        try:
            return self._all.decrypt(value[len(MARK):].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise Unreadable("a stored value is sealed with a key that CAUNOI_DATA_KEYS no longer holds") from None

    def is_current(self, value: str) -> bool:
        """True when the value is sealed under the first key (nothing for a rotation to do)."""
        if not is_sealed(value):
            return False
        try:
            self._current.decrypt(value[len(MARK):].encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def reseal(self, value: str) -> str:
        """The value sealed under the first key (plain text is sealed); Unreadable when no key opens it."""
        return self.seal(self.open(value))


@functools.lru_cache(maxsize=1)
def process_sealer() -> Sealer:
    """The sealer of this process's settings: for stores built without one (the action server, tools)."""
    return Sealer.from_settings(get_settings())
