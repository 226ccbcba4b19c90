"""Measuring the NLU on the held-out test split (`make eval`, `python -m evaluation`): metrics, our pipeline beside
Rasa's default one, the report. A tool beside the product, like bench/: it may import `bot` and `nlu`, and nothing
imports it but its tests and the NLU benchmark.
"""
