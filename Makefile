# DingK3 Assistant. A newcomer needs two commands:
#   make demo   set up and run the whole system on the embedded defaults (Ctrl-C stops it)
#   make test   set up and pass the tests
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
DEMO_ENV := DINGK3_ENV=demo DINGK3_CLOCK_ANCHOR=2025-04-01T09:00:00+08:00
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup demo test test-fast train nlu-test data-check lint bench bench-web reliability risk-backtest security dialogue-test trainer-test clean prod-local

setup:
	@bash scripts/bootstrap.sh

train: setup
	@$(DEMO_ENV) $(BIN)/dingk3 train

demo: setup train
	@$(DEMO_ENV) $(BIN)/python -m devtools demo

test: setup train
	@$(BIN)/ruff check .
	@$(BIN)/python scripts/check_imports.py
	@$(DEMO_ENV) $(BIN)/pytest -q -ra -m "not topology and not retrain"

test-fast: setup
	@$(DEMO_ENV) $(BIN)/pytest -q -ra -m "not stack and not browser and not slow and not topology and not retrain"

# The trainer page's real retrain (issue 19): rasa train + scoring two models, minutes on 2 cores.
trainer-test: setup
	@$(DEMO_ENV) $(BIN)/pytest -q -ra -m retrain tests/web

nlu-test: setup train
	@$(DEMO_ENV) $(BIN)/dingk3 nlu-test

data-check: setup
	@$(BIN)/dingk3 data check

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/python scripts/check_imports.py

bench: setup train
	@$(DEMO_ENV) $(BIN)/python -m devtools.bench

bench-web: setup
	@$(DEMO_ENV) $(BIN)/python -m devtools.bench.web

reliability: setup train
	@bash scripts/bootstrap.sh prod-local
	@$(DEMO_ENV) $(BIN)/pytest -q -ra -m topology
	@$(DEMO_ENV) $(BIN)/python -m devtools.reliability
	@$(DEMO_ENV) $(BIN)/python -m devtools.reliability --scenario prod-faults --minutes 5 --conversations 50

risk-backtest: setup
	@$(DEMO_ENV) $(BIN)/python -m devtools.risk backtest --out reports/risk

security: setup train
	@$(DEMO_ENV) $(BIN)/python -m devtools.security

# The production topology on this machine: nginx, 2 Rasa, 2 action servers, 2 workers, PostgreSQL, Redis
prod-local: setup train
	@bash scripts/bootstrap.sh prod-local
	@$(DEMO_ENV) $(BIN)/python -m devtools.topology.prod_local

# DIALOGUE_SET=fresh / fresh2: an untuned set instead of the main one
dialogue-test: setup train
	@$(DEMO_ENV) $(BIN)/python -m devtools.dialogues $(if $(DIALOGUE_SET),--set $(DIALOGUE_SET))

clean:
	rm -rf var models .pytest_cache .ruff_cache
