"""The gateway's parts: inbox, dispatch, delivery, queue, retention, erasure, the Rasa client."""
