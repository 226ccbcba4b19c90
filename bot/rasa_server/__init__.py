"""Code that runs inside the Rasa server and the action server, not in the gateway: the sealed tracker store, the
REST channel that answers the gateway only, the action server's guard, the performance patch, the endpoints file
and the trained model's fingerprint.

May import: `bot.settings`, `bot.internal_token`, `bot.state`. Never the gateway, a channel, the console or the CLI.
"""
