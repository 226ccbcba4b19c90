"""Benchmarks run by `make bench`: one module per subject, registered in bench/__main__.py.

A tool beside the product: may import `bot`, `nlu`, `evaluation` and the shared test doubles, never `tests/`.
"""
