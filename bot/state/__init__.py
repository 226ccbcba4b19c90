"""The state every process shares, in Redis: keys, the connection, sealing at rest, the handoff queue, transcripts,
retention, dead letters, erasure, campaigns, rate counters and where a conversation shows the person is.

The gateway workers, the console, the action server and the CLI all read and write it through these modules and no
other way. May import: `bot.settings`, `bot.messages`, `bot.privacy`, `bot.content`; never a channel, the gateway,
the console, the Rasa server's code or the CLI.
"""
