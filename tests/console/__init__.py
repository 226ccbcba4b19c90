"""The operator console: its JSON API, events, and the web UI in Debian's chromium (Playwright)."""
