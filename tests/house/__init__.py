"""The house rules: which package may import which (docs/architecture.md)."""
