"""Benchmarks run by `make bench`: one module per subject, registered in bench/__main__.py."""
