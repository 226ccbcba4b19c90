# The entry points humans and CI share. `make run` and `make test` set everything up on a fresh machine.
.PHONY: run test bench eval lint typecheck train setup clean load audit

VENV := .venv
CAUNOI := $(VENV)/bin/caunoi
STAMP := $(VENV)/.installed
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3

$(STAMP): pyproject.toml constraints.lock scripts/bootstrap
	@scripts/bootstrap

setup: $(STAMP)

run: $(STAMP)
	@$(CAUNOI) run

train: $(STAMP)
	@$(CAUNOI) train

test: $(STAMP)
	@$(CAUNOI) train
	@PYTHONWARNINGS=ignore $(VENV)/bin/rasa data validate --domain domain --data data content/vi/nlu --config config.yml --quiet
	@$(VENV)/bin/ruff check bot nlu actions evaluation bench tests load harness
	@$(VENV)/bin/mypy
	@$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	@$(CAUNOI) train
	@$(VENV)/bin/python -m bench

# The load test's own venv: locust's gevent, Flask and requests pins clash with Rasa's, so never into .venv.
LOAD_VENV := .venv-load
$(LOAD_VENV)/.installed: load/requirements.lock scripts/find-python
	@rm -rf $(LOAD_VENV) && "$$(scripts/find-python)" -m venv $(LOAD_VENV)
	@$(LOAD_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r load/requirements.lock
	@touch $@

# LOAD_QUICK=1 for a smoke run of a few minutes; every LOAD_ setting is described in load/__main__.py.
load: $(STAMP) $(LOAD_VENV)/.installed
	@$(CAUNOI) train
	@$(VENV)/bin/python -m load

# Known vulnerabilities in every pinned version (constraints.lock), from PyPI's advisory data (pip-audit, in its own
# venv). It needs the internet, so `make test` does not run it (the development machines and CI have none); run it
# where there is a network, before a release. --strict: a package it could not look up fails the audit, never a pass.
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/.installed: scripts/pip-audit.lock scripts/find-python
	@rm -rf $(AUDIT_VENV) && "$$(scripts/find-python)" -m venv $(AUDIT_VENV)
	@$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/pip-audit.lock
	@touch $@

audit: $(AUDIT_VENV)/.installed
	@$(AUDIT_VENV)/bin/pip-audit --strict --requirement constraints.lock --no-deps --disable-pip --progress-spinner off

# Kill Rasa, the action server, Redis and the gateway in turn under the real stack; writes reports/faults.md.
# `make test` runs these too.
.PHONY: faults
faults: $(STAMP)
	@$(CAUNOI) train
	@$(VENV)/bin/python -m pytest -q tests/faults/test_faults.py

eval: $(STAMP)
	@$(VENV)/bin/python -m evaluation

clean:
	rm -rf $(VENV) $(LOAD_VENV) models run
