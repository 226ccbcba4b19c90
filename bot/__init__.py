"""Cầu Nối gateway: channels, conversation state, operator console and the `caunoi` command."""
