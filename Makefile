# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench setup clean

$(STAMP): pyproject.toml
	scripts/setup $(VENV)
	touch $(STAMP)

setup: $(STAMP)

## Set up, then run the product: the server on SQLite with demo data, and the desktop app
## (a window when a display is there, otherwise the scripted headless end-to-end run).
run: $(STAMP)
	$(PY) -m scripts.demo

## Set up, then lint, type-check and run every test.
test: $(STAMP) lint
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

## Benchmarks: each prints a table.
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
