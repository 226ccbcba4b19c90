"""The Rasa domain, rules and test stories, run against the trained model."""
