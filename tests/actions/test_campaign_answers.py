"""`answered` ("reached an answer") for a campaign: counted where the bot answers, once per conversation, and only for
substantive answers (bot/state/campaigns.py says which)."""

from __future__ import annotations

import redis.asyncio
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_from_article import ActionAnswerFromArticle
from actions.find_service import ActionFindService
from actions.handle_location import ActionHandleLocation
from bot.settings import get_settings
from bot.state import keys
from bot.state.campaigns import CampaignStore, today, validated
from tests.actions.recorded import domain, tracker_before

CODE = "cho-dem"


def in_campaign(tracker: Tracker, sender: str | None = None) -> Tracker:
    tracker.slots["campaign"] = CODE
    if sender is not None:
        tracker.sender_id = sender
    return tracker


async def answered(store: CampaignStore) -> int:
    return (await store.counts(CODE)).get(today(), {}).get("answered", 0)


async def test_an_article_answer_counts_once_per_conversation(action_redis: redis.asyncio.Redis) -> None:
    store = CampaignStore(action_redis)
    await store.create(validated(CODE, "Chợ đêm"))
    for _ in range(3):  # three answers in one conversation: one conversation reached an answer
        await ActionAnswerFromArticle().run(CollectingDispatcher(), in_campaign(
            tracker_before("art", "action_answer_from_article")), domain())
    assert await answered(store) == 1
    await ActionAnswerFromArticle().run(CollectingDispatcher(), in_campaign(
        tracker_before("art", "action_answer_from_article"), sender="another-conversation"), domain())
    assert await answered(store) == 2

    # The mark lives with the conversation (its prefix, its retention), never in the campaign's keys.
    sender = tracker_before("art", "action_answer_from_article").sender_id
    mark = keys.campaign_once(sender, CODE, "answered")
    assert mark.startswith(keys.conversation_prefix(sender))
    ttl = await action_redis.ttl(mark)
    assert 0 < ttl <= get_settings().retention_days * 24 * 3600
    assert await action_redis.hgetall(keys.campaign_counts(CODE, today())) == {"answered": "2"}


async def test_a_question_back_is_no_answer_the_service_list_after_it_is(action_redis: redis.asyncio.Redis) -> None:
    store = CampaignStore(action_redis)
    await store.create(validated(CODE, "Chợ đêm"))
    await ActionFindService().run(CollectingDispatcher(), in_campaign(
        tracker_before("find", "action_find_service")), domain())  # "where are you?"
    assert await answered(store) == 0
    await ActionHandleLocation().run(CollectingDispatcher(), in_campaign(
        tracker_before("find", "action_handle_location")), domain())  # the services near the shared point
    assert await answered(store) == 1
    counts = (await store.counts(CODE))[today()]
    assert counts["service_search"] == 1 and counts["answered"] == 1


async def test_without_a_campaign_nothing_is_counted(action_redis: redis.asyncio.Redis) -> None:
    await ActionAnswerFromArticle().run(CollectingDispatcher(), tracker_before("art", "action_answer_from_article"),
                                        domain())
    assert [key async for key in action_redis.scan_iter("caunoi:*")] == []
