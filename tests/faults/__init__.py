"""Killing Rasa, the action server, Redis and the gateway under the real stack (reports/faults.md)."""
