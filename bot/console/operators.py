"""Operator accounts: username, role, display alias and an argon2 password hash, in Redis.

The alias is all a person ever sees of an operator ("Chào bạn, mình là Hoa…"), so it may hold letters only — no
digits (no phone numbers) — and nothing is derived from the username, which may well hold a real name.
`generation` grows on every password reset and on disabling: sessions of an older generation end at once.
Each record is signed with CAUNOI_SECRET_KEY (bot/console/signing.py): a role, password hash or state written into
Redis by anything but this store is not honoured — the account is treated as absent until
`caunoi operator reset-password` signs it again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import redis.asyncio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.console.events import SESSIONS_ENDED, publish
from bot.console.signing import FIELD, RecordSigner
from bot.settings import Secret
from bot.state import keys

log = logging.getLogger(__name__)

Role = Literal["operator", "supervisor"]
ROLES: tuple[Role, ...] = ("operator", "supervisor")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
ALIAS = re.compile(r"[^\W\d_][^\W\d_ .'-]*(?:[ .'-][^\W\d_]+)*")
ALIAS_MAX = 32
PASSWORD_MIN = 12  # OWASP ASVS 4.0.3 2.1.1; no composition rules (2.1.9)
PASSWORD_MAX = 128  # ASVS 4.0.3 2.1.2: 64 characters allowed, more than 128 refused


class OperatorError(ValueError):
    """An operator cannot be added or changed as asked; the message says why."""


@dataclass(frozen=True)
class Operator:
    username: str
    role: Role
    alias: str = ""
    disabled: bool = False
    generation: int = 0

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"the password must have at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"the password must have at most {PASSWORD_MAX} characters"
    return None


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
        self._dummy: str | None = None

    @staticmethod
    def _signed_fields(username: str, record: Mapping[str, str]) -> tuple[str, ...]:
        # Everything that decides who may log in and with what rights; created_at is information only.
        return ("operator", keys.operator(username), record.get("role", ""), record.get("alias", ""),
                record.get("disabled", "0"), record.get("generation", "0"), record.get("password", ""))

    def _signature(self, username: str, record: Mapping[str, str]) -> str:
        return self._signer.sign(*self._signed_fields(username, record))

    def _honoured(self, username: str, record: Mapping[str, str]) -> bool:
        return record.get("role") in ROLES and self._signer.valid(record.get(FIELD),
                                                                  *self._signed_fields(username, record))

    async def add(self, username: str, role: str, password: str, alias: str = "") -> Operator:
        if not USERNAME.fullmatch(username):
            raise OperatorError("the username must be 2-32 characters of a-z, 0-9, '.', '_' and '-'")
        if role not in ROLES:
            raise OperatorError(f"the role must be one of {', '.join(ROLES)}")
        alias = check_alias(alias)
        problem = password_problem(password)
        if problem:
            raise OperatorError(problem)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        added = await self._redis.hsetnx(keys.operator(username), "username", username)
        if not added:
            raise OperatorError(f"operator {username!r} already exists")
        record = {"role": role, "alias": alias, "password": hashed, "disabled": "0", "generation": "0"}
        await self._redis.hset(keys.operator(username), mapping={
            **record, "created_at": f"{time.time():.3f}", FIELD: self._signature(username, record)})
        await self._redis.sadd(keys.OPERATORS, username)
        return Operator(username, role, alias)

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
        role: Role = "supervisor" if data["role"] == "supervisor" else "operator"
        return Operator(username, role, data.get("alias", ""), data.get("disabled") == "1",
                        int(data.get("generation") or 0))

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

    async def reset_password(self, username: str, password: str) -> bool:
        """New password, sessions ended, account enabled again, and the record signed again (also one that was
        refused: the deployer running this sees its role in `caunoi operator list`). False for an unknown operator."""
        problem = password_problem(password)
        if problem:
            raise OperatorError(problem)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        done = await self._update(username, lambda record: {
            "password": hashed, "disabled": "0", "generation": str(int(record.get("generation") or 0) + 1)},
            signed_only=False)
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
