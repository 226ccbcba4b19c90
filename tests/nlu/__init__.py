"""The NLU components on real sentences, with and without diacritics, and the evaluation's metrics."""
