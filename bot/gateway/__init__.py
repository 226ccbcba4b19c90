"""The gateway: what happens to a message between a webhook and the reply.

`parts.Gateway` builds everything once per process; `inbox` queues what the webhooks accepted and runs each
conversation's turns in order; `dispatch` runs a turn (Rasa, the handoff queue, typed campaign codes);
`delivery` sends the answer with retries and rate limits; `rasa_client`/`backends` talk to Rasa over aiohttp.

May import: `bot.settings`, `bot.messages`, `bot.privacy`, `bot.logs`, `bot.json_body`, `bot.internal_token`,
`bot.state`, `bot.content`, `bot.channels`, `bot.outreach`. Never the console or the CLI: only `bot.app` mounts them.
"""
