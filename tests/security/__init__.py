"""Hostile input, forged webhooks, log leaks, strict JSON, body limits: what an attacker tries."""
