"""Outreach campaigns' material: bot links, QR codes, printable posters and Zalo's typed campaign codes.

The campaigns themselves (codes, counts) are state (`bot.state.campaigns`). May import: `bot.settings`,
`bot.messages`, `bot.state`, `bot.content`; never a channel, the gateway, the console or the CLI.
"""
