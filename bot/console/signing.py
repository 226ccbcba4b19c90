"""Console records signed with CAUNOI_SECRET_KEY, so that a write to Redis cannot make a session or a supervisor.

A local user who could write to the store created a session hash and became a supervisor; anyone with write access
could equally edit an operator's role or password hash. Each session and operator record now carries an HMAC-SHA256
of its fields (and of its own key, so a record cannot be copied to another name); a record whose signature does not
match is treated as absent. The key is derived from the secret key for this one use, so the same secret's other use
(the keyed hashes of ids in logs) never meets these signatures.
"""

from __future__ import annotations

import hashlib
import hmac

from bot.settings import Secret, SettingsError

FIELD = "sig"
MISSING = ("CAUNOI_SECRET_KEY is not set: console sessions and operator accounts are signed with it "
           "(`caunoi run` without REDIS_URL makes one per run; with REDIS_URL set it, the same on every process)")


class RecordSigner:
    def __init__(self, secret_key: Secret):
        if not secret_key:
            raise SettingsError(MISSING)
        self._key = hmac.new(secret_key.reveal().encode("utf-8"), b"caunoi console records v1", hashlib.sha256).digest()

    def sign(self, *fields: str) -> str:
        # Length-prefixed: ("ab", "c") and ("a", "bc") never sign alike.
        message = "".join(f"{len(field)}:{field};" for field in fields).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, signature: str | None, *fields: str) -> bool:
        return bool(signature) and hmac.compare_digest(str(signature).encode("ascii", "replace"),
                                                       self.sign(*fields).encode("ascii"))
