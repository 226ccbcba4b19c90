"""Measuring the NLU on the held-out test split: metrics, the two pipelines compared, the report."""
