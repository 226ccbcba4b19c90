"""The shared doubles and stack starter in harness/ behave as the tests and benchmarks rely on."""
