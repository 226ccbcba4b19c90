"""The test suite (`make test`), one folder per room, beside the behaviour it checks. Tests may import anything;
nothing outside tests/ imports them (shared doubles live in a support package benchmarks use too)."""
