"""Custom actions for the Rasa action server, one action per module."""
