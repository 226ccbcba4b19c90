"""Operator accounts: username, role, display alias and an argon2 password hash, in Redis.

The alias is all a person ever sees of an operator ("Chào bạn, mình là Hoa…"), so it may hold letters only — no
digits (no phone numbers) — and nothing is derived from the username, which may well hold a real name.
`generation` grows on every password reset and on disabling: sessions of an older generation end at once.
A password set by someone else (`caunoi operator add` and `reset-password`) is temporary (OWASP ASVS 4.0.3 2.3.1):
it expires TEMPORARY_SECONDS after it was set, and until the operator has chosen their own, their session may only
change it (bot/console/routes.py).
Each record is signed with CAUNOI_SECRET_KEY (bot/console/signing.py): a role, password hash or state written into
Redis by anything but this store is not honoured — the account is treated as absent until
`caunoi operator reset-password` signs it again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import redis.asyncio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.console import second_factor
from bot.console.events import SESSIONS_ENDED, publish
from bot.console.passwords import PASSWORD_MAX, PASSWORD_MIN, password_problem
from bot.console.second_factor import SecretBox
from bot.console.signing import FIELD, RecordSigner
from bot.settings import Secret
from bot.state import keys

log = logging.getLogger(__name__)
__all__ = ["PASSWORD_MAX", "PASSWORD_MIN", "ROLES", "USERNAME", "Operator", "OperatorError", "OperatorStore",
           "password_problem"]

Role = Literal["operator", "supervisor", "directory_editor", "partner"]
# directory_editor: keeps the service directory (bot/console/directory.py) and sees no conversation.
# partner: belongs to one partner organisation (`org`) and sees only the referrals sent to it
# (bot/console/referrals.py); never on duty, never given a conversation.
ROLES: tuple[Role, ...] = ("operator", "supervisor", "directory_editor", "partner")
# Accounts that answer nobody: always off duty, never offered a transfer, not listed among the operators.
NOT_ANSWERING: tuple[Role, ...] = ("directory_editor", "partner")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
ALIAS = re.compile(r"[^\W\d_][^\W\d_ .'-]*(?:[ .'-][^\W\d_]+)*")
ALIAS_MAX = 32
SECOND_FACTOR_FIELDS = ("totp", "totp_step", "recovery")
ENROLMENT_SECONDS = 600
TEMPORARY_SECONDS = 72 * 3600  # a first or reset password is good for three days, and only to choose one's own


class OperatorError(ValueError):
    """An operator cannot be added or changed as asked; the message says why."""


@dataclass(frozen=True)
class Operator:
    username: str
    role: Role
    alias: str = ""
    disabled: bool = False
    generation: int = 0
    second_factor: bool = False  # a TOTP authenticator is enrolled
    temporary_until: float = 0.0  # the password was set by someone else and works until then (0: the operator's own)
    org: str = ""  # a partner's organisation (bot/state/organisations.py); "" for every other role

    @property
    def answers(self) -> bool:
        """Whether this account talks to people (takes conversations, may be on duty)."""
        return self.role not in NOT_ANSWERING

    @property
    def must_change_password(self) -> bool:
        return self.temporary_until > 0

    def temporary_expired(self, now: float) -> bool:
        return self.must_change_password and now >= self.temporary_until

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


def check_alias(alias: str) -> str:
    alias = " ".join(alias.split())
    if alias and (len(alias) > ALIAS_MAX or not ALIAS.fullmatch(alias)):
        raise OperatorError(f"the alias must be at most {ALIAS_MAX} letters (spaces allowed, no digits): "
                            "a first name or a nickname, never a surname or a phone number")
    return alias


class OperatorStore:
    def __init__(self, client: redis.asyncio.Redis, secret_key: Secret, hasher: PasswordHasher | None = None):
        self._redis = client
        self._signer = RecordSigner(secret_key)
        self._hasher = hasher or PasswordHasher()
        self._box = SecretBox(secret_key)
        self._dummy: str | None = None

    @staticmethod
    def _signed_fields(username: str, record: Mapping[str, str]) -> tuple[str, ...]:
        # Everything that decides who may log in and with what rights; created_at is information only. The second
        # factor's fields are signed once there are any, so records from before 2FA keep their signatures, and
        # removing them from a record that has them breaks its signature.
        fields: tuple[str, ...] = ("operator", keys.operator(username), record.get("role", ""), record.get("alias", ""),
                  record.get("disabled", "0"), record.get("generation", "0"), record.get("password", ""))
        if any(name in record for name in SECOND_FACTOR_FIELDS):
            fields += ("2fa", *(record.get(name, "") for name in SECOND_FACTOR_FIELDS))
        if "temporary_until" in record:  # likewise: records from before temporary passwords keep their signatures
            fields += ("temporary", record["temporary_until"])
        if "org" in record:  # a partner's organisation decides which referrals it sees
            fields += ("org", record["org"])
        return fields

    def _signature(self, username: str, record: Mapping[str, str]) -> str:
        return self._signer.sign(*self._signed_fields(username, record))

    def _honoured(self, username: str, record: Mapping[str, str]) -> bool:
        return record.get("role") in ROLES and self._signer.valid(record.get(FIELD),
                                                                  *self._signed_fields(username, record))

    async def add(self, username: str, role: str, password: str, alias: str = "", temporary: bool = False,
                  org: str = "") -> Operator:
        """A new account. `temporary`: the password was chosen by someone else (the CLI's), so it expires and must be
        changed at first use. `org`: a partner's organisation (required for that role, refused for others)."""
        if not USERNAME.fullmatch(username):
            raise OperatorError("the username must be 2-32 characters of a-z, 0-9, '.', '_' and '-'")
        if role not in ROLES:
            raise OperatorError(f"the role must be one of {', '.join(ROLES)}")
        if (role == "partner") != bool(org):
            raise OperatorError("a partner account belongs to one organisation, and only a partner account does")
        alias = check_alias(alias)
        problem = password_problem(password, username)
        if problem:
            raise OperatorError(problem)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        added = await self._redis.hsetnx(keys.operator(username), "username", username)
        if not added:
            raise OperatorError(f"operator {username!r} already exists")
        record = {"role": role, "alias": alias, "password": hashed, "disabled": "0", "generation": "0",
                  **self._temporary(temporary), **({"org": org} if org else {})}
        await self._redis.hset(keys.operator(username), mapping={
            **record, "created_at": f"{time.time():.3f}", FIELD: self._signature(username, record)})
        await self._redis.sadd(keys.OPERATORS, username)
        return self._operator(username, record)

    @staticmethod
    def _temporary(temporary: bool) -> dict[str, str]:
        return {"temporary_until": f"{time.time() + TEMPORARY_SECONDS:.0f}"} if temporary else {}

    async def _record(self, username: str) -> dict[str, str] | None:
        """The stored record when its signature holds, else None."""
        if not USERNAME.fullmatch(username):
            return None
        data: dict[str, str] = await self._redis.hgetall(keys.operator(username))
        if not data or data.get("role") not in ROLES:
            return None
        if not self._honoured(username, data):
            # No name in the log: usernames may be real names. `caunoi operator list` names refused records.
            log.warning("operator record refused: its signature does not match (written outside Cầu Nối, or "
                        "signed with another CAUNOI_SECRET_KEY)")
            return None
        return data

    @staticmethod
    def _operator(username: str, data: Mapping[str, str]) -> Operator:
        role: Role = next((known for known in ROLES if known == data["role"]), "operator")
        return Operator(username, role, data.get("alias", ""), data.get("disabled") == "1",
                        int(data.get("generation") or 0), bool(data.get("totp")),
                        float(data.get("temporary_until") or 0), data.get("org", ""))

    async def get(self, username: str) -> Operator | None:
        data = await self._record(username)
        return None if data is None else self._operator(username, data)

    async def refused(self) -> list[str]:
        """Usernames whose stored record is not signed with this secret key (edited in Redis, or another key)."""
        found = []
        for name in sorted(await self._redis.smembers(keys.OPERATORS)):
            data = await self._redis.hgetall(keys.operator(name))
            if data and not self._honoured(name, data):
                found.append(name)
        return found

    async def _update(self, username: str, change: Callable[[dict[str, str]], dict[str, str]],
                      signed_only: bool = True) -> bool:
        """Applies `change` to the record and signs the result, atomically (retried if the record changed
        meanwhile). False when there is no such record (or, with `signed_only`, no honoured one)."""
        key = keys.operator(username)
        if not USERNAME.fullmatch(username):
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    data: dict[str, str] = await pipe.hgetall(key)
                    if not data or data.get("role") not in ROLES or (signed_only
                                                                    and not self._honoured(username, data)):
                        await pipe.reset()
                        return False
                    updated = {**data, **change(data)}
                    updated[FIELD] = self._signature(username, updated)
                    pipe.multi()
                    pipe.hset(key, mapping=updated)
                    await pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    async def all(self) -> list[Operator]:
        found = [await self.get(name) for name in sorted(await self._redis.smembers(keys.OPERATORS))]
        return [operator for operator in found if operator is not None]

    async def disable(self, username: str) -> bool:
        done = await self._update(username, lambda record: {
            "disabled": "1", "generation": str(int(record.get("generation") or 0) + 1)})
        if done:
            await publish(self._redis, {"type": SESSIONS_ENDED})  # their open event streams end now
        return done

    async def reset_password(self, username: str, password: str, temporary: bool = False) -> bool:
        """New password, sessions ended, account enabled again, and the record signed again (also one that was
        refused: the deployer running this sees its role in `caunoi operator list`). False for an unknown operator.
        `temporary`: as for `add`."""
        problem = password_problem(password, username)
        if problem:
            raise OperatorError(problem)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        done = await self._update(username, lambda record: {
            "password": hashed, "disabled": "0", "generation": str(int(record.get("generation") or 0) + 1),
            **(self._temporary(True) if temporary else {"temporary_until": "0"} if "temporary_until" in record
               else {})}, signed_only=False)
        if done:
            await publish(self._redis, {"type": SESSIONS_ENDED})
        return done

    async def verify(self, username: str, password: str) -> Operator | None:
        """The operator when the password is right and the account enabled. An unknown name costs the same time
        as a known one, so answers do not tell which usernames exist."""
        record = await self._record(username)
        operator = self._operator(username, record) if record else None
        stored = record.get("password") if record else None
        if not stored:
            stored = await self._dummy_hash()
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password[:PASSWORD_MAX])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if operator is None or operator.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            rehashed = await asyncio.to_thread(self._hasher.hash, password)
            await self._update(username, lambda record: {"password": rehashed}
                               if record.get("password") == stored else {})
        return operator

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await asyncio.to_thread(self._hasher.hash, "not a password of anyone")
        return self._dummy

    async def change_password(self, username: str, current: str, new: str) -> Operator | None:
        """The operator's own change: `current` must be right (else None). Every session of the account ends (the
        caller opens a new one for the browser that asked); the account stays as it was otherwise."""
        operator = await self.verify(username, current)
        if operator is None:
            return None
        problem = password_problem(new, username)
        if problem:
            raise OperatorError(problem)
        if new == current:
            raise OperatorError("the new password is the current one")
        hashed = await asyncio.to_thread(self._hasher.hash, new)
        if not await self._update(username, lambda record: {
                "password": hashed, "generation": str(int(record.get("generation") or 0) + 1),
                **({"temporary_until": "0"} if "temporary_until" in record else {})}):
            return None
        await publish(self._redis, {"type": SESSIONS_ENDED})
        return await self.get(username)

    async def end_sessions(self, username: str) -> Operator | None:
        """Every session of the account ends (sign out everywhere); the operator as it now is."""
        if not await self._update(username, lambda record: {
                "generation": str(int(record.get("generation") or 0) + 1)}):
            return None
        await publish(self._redis, {"type": SESSIONS_ENDED})
        return await self.get(username)

    # -- the second factor ----------------------------------------------------------------------------------------

    async def start_enrolment(self, username: str) -> str:
        """A new TOTP secret for the operator to scan, kept (encrypted) for ENROLMENT_SECONDS until a code from it
        confirms it; starting again replaces it."""
        secret = second_factor.new_secret()
        await self._redis.set(keys.totp_pending(username), self._box.seal(secret), ex=ENROLMENT_SECONDS)
        return secret

    async def pending_enrolment(self, username: str) -> str | None:
        sealed = await self._redis.get(keys.totp_pending(username))
        return self._box.open(sealed) if sealed else None

    async def confirm_enrolment(self, username: str, code: str, now: float) -> list[str] | None:
        """The new recovery codes (shown once) when `code` comes from the pending secret and the account had no
        second factor yet; None otherwise."""
        secret = await self.pending_enrolment(username)
        step = second_factor.matching_step(secret, code, now, 0) if secret else None
        if secret is None or step is None:
            return None
        codes = second_factor.new_recovery_codes()
        if not await self.enrol_totp(username, secret, codes, step):
            return None
        await self._redis.delete(keys.totp_pending(username))
        return codes

    async def enrol_totp(self, username: str, secret: str, recovery_codes: list[str], step: int = 0) -> bool:
        """Stores a confirmed TOTP secret (encrypted) and the hashes of new recovery codes. False when the account
        already has one (`caunoi operator reset-2fa` removes it) or does not exist."""
        sealed = self._box.seal(secret)
        hashes = " ".join(self._box.recovery_hash(code) for code in recovery_codes)
        enrolled = False

        def change(record: dict[str, str]) -> dict[str, str]:
            nonlocal enrolled
            if record.get("totp"):
                return {}
            enrolled = True
            return {"totp": sealed, "totp_step": str(step), "recovery": hashes}

        return await self._update(username, change) and enrolled

    async def check_second_factor(self, username: str, code: str, now: float) -> str | None:
        """Which factor it was ("totp" or "recovery") when `code` is a fresh authenticator code or an unused recovery
        code of the account (the step, or the recovery code, is used up in the same atomic write); None otherwise."""
        used: str | None = None

        def change(record: dict[str, str]) -> dict[str, str]:
            nonlocal used
            used = None
            secret = self._box.open(record.get("totp", "")) if record.get("totp") else None
            if secret is None:
                return {}
            step = second_factor.matching_step(secret, code, now, int(record.get("totp_step") or 0))
            if step is not None:
                used = "totp"
                return {"totp_step": str(step)}
            hashes = record.get("recovery", "").split()
            typed = self._box.recovery_hash(code)
            left = [stored for stored in hashes if not hmac.compare_digest(stored, typed)]
            if len(left) < len(hashes) and len(second_factor.normalised_recovery(code)) == \
                    second_factor.RECOVERY_LENGTH:
                used = "recovery"
                return {"recovery": " ".join(left)}
            return {}

        if not await self._update(username, change):
            return None
        return used

    async def recovery_codes_left(self, username: str) -> int:
        record = await self._record(username)
        return len((record or {}).get("recovery", "").split())

    async def reset_second_factor(self, username: str) -> bool:
        """Removes the authenticator and the recovery codes (a lost phone); the operator enrols again at the next
        log-in. Their sessions end. False for an unknown operator, or a refused record: unlike a password reset, this
        does not sign a record again (its role or password hash may be what was edited)."""
        done = await self._update(username, lambda record: {
            "totp": "", "recovery": "", "totp_step": "0",
            "generation": str(int(record.get("generation") or 0) + 1)})
        if done:
            await publish(self._redis, {"type": SESSIONS_ENDED})
        return done

    async def require_second_factor(self, required: bool) -> None:
        value = "1" if required else "0"
        await self._redis.hset(keys.CONSOLE_POLICY, mapping={
            "require_2fa": value, FIELD: self._signer.sign("policy", keys.CONSOLE_POLICY, value)})

    async def second_factor_required(self) -> bool:
        """Whether a supervisor asked every account for a second factor. An unsigned value is not honoured."""
        data = await self._redis.hgetall(keys.CONSOLE_POLICY)
        value = data.get("require_2fa", "0")
        return value == "1" and self._signer.valid(data.get(FIELD), "policy", keys.CONSOLE_POLICY, value)
