# lapor-gateway: every target creates .venv and installs what it needs, so each works on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: install sysdeps run test lint check bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# exec: the gateway replaces the recipe's shell, so the SIGTERM make passes on to its child
# (or Ctrl-C) reaches the gateway itself, which drains and exits; no orphan keeps the port
run: $(STAMP)
	. ./dev.env && exec $(BIN)/lapor-gateway run --config $(CONFIG)

# system packages some tests need (system-packages.txt), installed with apt when missing
sysdeps:
	./scripts/system-deps.sh

test: $(STAMP) sysdeps
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy gateway adapters normalizer outbox
	$(BIN)/lint-imports

check: lint test

bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get install -y wrk || sudo apt-get install -y wrk)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
