"""The load test's own modules (script, analysis, report), without locust."""
