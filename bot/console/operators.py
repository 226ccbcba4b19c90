"""Operator accounts: username, role, display alias and an argon2 password hash, in Redis.

The alias is all a person ever sees of an operator ("Chào bạn, mình là Hoa…"), so it may hold letters only — no
digits (no phone numbers) — and nothing is derived from the username, which may well hold a real name.
`generation` grows on every password reset and on disabling: sessions of an older generation end at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot import keys

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
    def __init__(self, client: redis.asyncio.Redis, hasher: PasswordHasher | None = None):
        self._redis = client
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

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
        await self._redis.hset(keys.operator(username), mapping={
            "role": role, "alias": alias, "password": hashed, "disabled": "0", "generation": "0",
            "created_at": f"{time.time():.3f}"})
        await self._redis.sadd(keys.OPERATORS, username)
        return Operator(username, role, alias)

    async def get(self, username: str) -> Operator | None:
        if not USERNAME.fullmatch(username):
            return None
        data = await self._redis.hgetall(keys.operator(username))
        if not data or data.get("role") not in ROLES:
            return None
        return Operator(username, data["role"], data.get("alias", ""), data.get("disabled") == "1",
                        int(data.get("generation") or 0))

    async def all(self) -> list[Operator]:
        found = [await self.get(name) for name in sorted(await self._redis.smembers(keys.OPERATORS))]
        return [operator for operator in found if operator is not None]

    async def disable(self, username: str) -> bool:
        if await self.get(username) is None:
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.operator(username), "disabled", "1")
            pipe.hincrby(keys.operator(username), "generation", 1)
            await pipe.execute()
        return True

    async def reset_password(self, username: str, password: str) -> bool:
        """New password, sessions ended, account enabled again. False for an unknown operator."""
        problem = password_problem(password)
        if problem:
            raise OperatorError(problem)
        if await self.get(username) is None:
            return False
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.operator(username), mapping={"password": hashed, "disabled": "0"})
            pipe.hincrby(keys.operator(username), "generation", 1)
            await pipe.execute()
        return True

    async def verify(self, username: str, password: str) -> Operator | None:
        """The operator when the password is right and the account enabled. An unknown name costs the same time
        as a known one, so answers do not tell which usernames exist."""
        operator = await self.get(username)
        stored = await self._redis.hget(keys.operator(username), "password") if operator else None
        if not stored:
            stored = await self._dummy_hash()
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password[:PASSWORD_MAX])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if operator is None or operator.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            await self._redis.hset(keys.operator(username), "password",
                                   await asyncio.to_thread(self._hasher.hash, password))
        return operator

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await asyncio.to_thread(self._hasher.hash, "not a password of anyone")
        return self._dummy
