"""Channel adapters. Each one turns platform updates into `Inbound` and renders `Outbound` for its platform
(Telegram, Zalo, the local web channel), with what they share: buttons, long-text splitting, the gateway's notices.

May import: the base (`bot.settings`, `bot.messages`, `bot.privacy`, `bot.logs`), `bot.state`, `bot.content`. Never the
gateway that drives them, the console, the CLI or the Rasa server's code.
"""
