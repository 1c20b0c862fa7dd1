# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit bench demo openapi clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

## run: set up, migrate the embedded SQLite database and serve the API on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/finops serve

## test: set up and run every check: lint, types and the test suite
test: $(STAMP)
	bash scripts/ensure-prometheus.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## bench: benchmarks that print figures (needs PostgreSQL: FINOPS_BENCH_DATABASE_URL)
bench: $(STAMP)
	$(BIN)/python -m bench

openapi: $(STAMP)
	$(BIN)/finops openapi -o docs/api/rest/finops.yaml

demo: $(STAMP)
	$(BIN)/finops demo

clean:
	rm -rf $(VENV) .finops
