"""Telegram, Zalo and the web channel through the real webhook app, with the Bot API and Zalo doubles."""
