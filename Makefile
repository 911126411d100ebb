# SaferPlaces: `make demo` and `make test` do all set-up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-workspace
PORT ?= 8000

.PHONY: demo demo-build test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,oracles,pdf,web]'
	touch $@

$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[pdf,web]'
	touch $@

demo-build: $(VENV)/.stamp-run
	$(BIN)/saferplaces demo build --workspace $(DEMO_DIR)

demo: demo-build
	$(BIN)/saferplaces serve --workspace $(DEMO_DIR) --port $(PORT) --demo

test: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# Each benchmark writes its latest results to benchmarks/results/ (see benchmarks/README.md).
bench: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/bench_ingest.py --repeats 3
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_geo.py
	$(BIN)/python benchmarks/bench_indicators.py
	$(BIN)/python benchmarks/bench_briefings.py --workers 2
	$(BIN)/python benchmarks/bench_web.py --workspace /tmp/saferplaces-bench-demo

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
