"""Offline tests of the custom actions on recorded trackers (CollectingDispatcher), exact events and responses."""
