# Keel task runner. The README's two commands are `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/pytest

.PHONY: setup run demo serve test unit integration lint typecheck evals bench services browser clean

setup:
	@bash scripts/setup.sh

## One command: set up, seed the simulated demo org, start Keel.
run: setup
	@bash scripts/run.sh

## One command: set up, then the fast unit suite, then integration (real model, PostgreSQL, browser).
test: setup services browser
	$(PYTEST) -q -m "not integration" tests
	$(PYTEST) -q -m integration tests

unit:
	$(PYTEST) -q -m "not integration" tests

integration: services browser
	$(PYTEST) -q -m integration tests

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

services:
	@bash scripts/services.sh

browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

evals:
	$(BIN)/keel eval extraction
	$(BIN)/keel bench store

clean:
	rm -rf .keel .pytest_cache .mypy_cache .ruff_cache
