"""Custom actions for the Rasa action server, one action per module.

May import: `bot.state`, `bot.content`, `bot.outreach`, `bot.messages`, `bot.settings`, `bot.privacy` and `nlu`;
never the gateway, the channels, the console or the CLI (the action server shares state and content with them, not
machinery).
"""
