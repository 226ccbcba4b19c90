"""Buttons as the channels carry them: short codes (Telegram, Zalo, web) and numbered choices (Zalo's fallback).

Rasa's payloads (`/find_service{"service_type": "shelter"}`) are long and Telegram's callback_data holds 64 bytes,
so a button travels as a short ASCII code derived from its payload, mapped back per conversation in Redis. The
code is a hash, so rendering the same button twice (a retried send) gives the same code. Only codes the gateway
itself handed to this conversation resolve: a forged or expired code is a no-op, never a forced intent.

Zalo buttons carry the same codes (bot/channels/zalo.py), but a tap comes back as a message the person "sent", so
`take` reads it among the person's typed messages: a message that is exactly a code handed to this conversation is
the button; anything else, a code that maps to nothing included, is what the person typed (and a leading "/" is
neutralised with the rest of typed text, bot/gateway/dispatch.py). With CAUNOI_ZALO_CHOICES=numbers Zalo gets
numbered options in the text instead; a bare number answers them, and only in the very next message.

What a code stands for is sealed (bot/state/sealed.py): a payload can carry what the person said (a province, a
country).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import redis.asyncio

from bot.messages import Button
from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

CODE_PREFIX = "b:"
CODE = re.compile(r"b:[0-9a-f]{16}")  # what code_for makes: nothing else is looked up
TTL_SECONDS = 14 * 24 * 3600  # a button in an old message stops working two weeks after it was last shown
CHOICES_TTL_SECONDS = 24 * 3600

# The offer of numbered choices (ended by any message) and, when the message looks like a code, what that code
# stands for in this conversation: one round trip, as before buttons came back as messages.
_TAKE = """
local offered = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
local pressed = false
if ARGV[1] ~= '' then pressed = redis.call('HGET', KEYS[2], ARGV[1]) end
return {offered, pressed}
"""


def code_for(payload: str) -> str:
    return CODE_PREFIX + hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def is_code(text: str) -> bool:
    """Whether a typed message is, in its whole, a button code (a tapped Zalo button sends one)."""
    return CODE.fullmatch(text.strip()) is not None


class ButtonMap:
    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer | None = None):
        self._redis = client
        self._sealer = sealer or process_sealer()
        self._take = client.register_script(_TAKE)

    def _open(self, raw: str) -> Any:
        try:
            return json.loads(self._sealer.open(raw))
        except Unreadable:  # as good as expired: the person is told the button no longer works
            return None

    async def codes(self, conversation_id: str, buttons: Sequence[Button]) -> list[str]:
        """Registers the buttons for the conversation; their codes, in order."""
        mapping = {code_for(button.payload): self._sealer.seal(json.dumps([button.payload, button.title],
                                                                          ensure_ascii=False))
                   for button in buttons}
        if mapping:
            key = keys.buttons(conversation_id)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=mapping)
                pipe.expire(key, TTL_SECONDS)
                await pipe.execute()
        return [code_for(button.payload) for button in buttons]

    async def resolve(self, conversation_id: str, code: str) -> Button | None:
        raw = await self._redis.hget(keys.buttons(conversation_id), code)
        found = self._open(raw) if raw else None
        if not found:
            return None
        payload, title = found
        return Button(title=title, payload=payload)

    async def offer(self, conversation_id: str, buttons: Sequence[Button], extend: bool = False) -> int:
        """Numbered choices for the person's next message; the number of the first. `extend`: after the choices
        offered already (the rest of one message's options, sent on after the first part's)."""
        offered: list[Any] = []
        if extend:
            raw = await self._redis.get(keys.choices(conversation_id))
            found = self._open(raw) if raw else None
            offered = found if isinstance(found, list) else []
        data = json.dumps([*offered, *([button.payload, button.title] for button in buttons)], ensure_ascii=False)
        await self._redis.set(keys.choices(conversation_id), self._sealer.seal(data), ex=CHOICES_TTL_SECONDS)
        return len(offered) + 1

    async def take(self, conversation_id: str, text: str) -> Button | None:
        """The button a typed message picks: a code handed to this conversation (a Zalo button's payload), or a bare
        number for the offered choices. Any message ends the offer, whether or not it picked one."""
        typed = text.strip()
        code = typed if is_code(typed) else ""
        offered, pressed = await self._take(keys=[keys.choices(conversation_id), keys.buttons(conversation_id)],
                                            args=[code])
        if pressed:
            found = self._open(pressed)
            return Button(title=found[1], payload=found[0]) if found else None
        number = typed.rstrip(".)")
        if not offered or not number.isdigit():
            return None
        options = self._open(offered)
        if not isinstance(options, list):
            return None
        index = int(number) - 1
        if not 0 <= index < len(options):
            return None
        payload, title = options[index]
        return Button(title=title, payload=payload)
