"""A search reads the live directory (bot/state/directory.py) at each turn: an entry verified by an editor is found on
the next search, an unverified one never; with Redis away the search still answers from what it read last."""

from __future__ import annotations

import redis.asyncio

import actions.common
from actions.common import content
from bot.state.directory import DirectoryStore
from bot.state.sealed import Sealer
from tests.actions.test_services import run_search, search
from tests.conftest import make_settings

SEALER = Sealer.from_settings(make_settings())  # the keys the action server has in these tests
NGHE_AN = {"id": "tgpl-nghe-an", "name": "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Nghệ An", "type": "legal_aid",
           "province": "Nghệ An", "phone": "0901 234 567"}
VERIFIED = {"status": "verified", "source_url": "https://stp.nghean.gov.vn", "verified_at": "2026-12-01"}
QUESTION = ("o nghe an co cho nao tro giup phap ly khong", "legal_aid", "Nghệ An")


async def test_an_entry_verified_in_the_store_is_found_on_the_next_search(action_redis: redis.asyncio.Redis) -> None:
    editor = DirectoryStore(action_redis, content(), SEALER)  # another process's writer: the console
    messages, _ = await run_search(search(*QUESTION))
    assert messages[0]["response"] == "utter_services_kind"

    unverified = editor.parse({**NGHE_AN, "status": "unverified"}, "directory/provinces/nghe-an.yml")
    await editor.write(editor.stamped(unverified, "lan", None), new=True)
    messages, _ = await run_search(search(*QUESTION))
    assert messages[0]["response"] == "utter_services_kind"
    assert "0901 234 567" not in str(messages)

    verified = editor.parse({**NGHE_AN, **VERIFIED}, "directory/provinces/nghe-an.yml")
    await editor.write(editor.stamped(verified, "lan", "lan"), new=False)
    messages, _ = await run_search(search(*QUESTION))
    assert [m.get("response") for m in messages][:1] == ["utter_services_found"]
    assert "☎ 0901 234 567" in messages[1]["text"] and NGHE_AN["name"] in messages[1]["text"]


async def test_with_redis_away_the_search_answers_from_the_last_directory_read(
        action_redis: redis.asyncio.Redis) -> None:
    editor = DirectoryStore(action_redis, content(), SEALER)
    verified = editor.parse({**NGHE_AN, **VERIFIED}, "directory/provinces/nghe-an.yml")
    await editor.seed()
    await editor.write(editor.stamped(verified, "lan", "lan"), new=True)
    await run_search(search(*QUESTION))  # read once while Redis answers
    actions.common._redis = redis.asyncio.Redis(port=1, socket_connect_timeout=0.2)  # Redis is away
    try:
        messages, _ = await run_search(search(*QUESTION))
    finally:
        actions.common._redis = action_redis
    assert "☎ 0901 234 567" in messages[1]["text"]
