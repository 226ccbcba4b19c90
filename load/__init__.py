"""The load test (`make load`): locust drives Vietnamese conversations through the Telegram webhook of a real stack.

Modules here that the test suite imports (script, person, analysis, report) use the standard library only: the
locustfile runs in `.venv-load` (locust's gevent and Flask pins clash with Rasa's), everything else in `.venv`.
"""
