# Shortcuts for daily work; the README's two Quick start commands need none of them.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint dagster dbt-build docs

$(BIN)/leadqual: pyproject.toml
	python3.11 -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]'
	touch $@

install: $(BIN)/leadqual

run: install          ## the daily job on the configured (or sample) landing folder
	$(BIN)/leadqual run

test: install         ## lint + the whole test suite
	$(BIN)/python -m pytest

lint: install         ## ruff and sqlfluff only
	$(BIN)/python -m pytest tests/test_lint.py

dagster: install      ## the Dagster UI on http://localhost:3000
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -w workspace.yaml

dbt-build: install    ## dbt build with the scoring rules (run `make run` once first)
	$(BIN)/leadqual dbt build
