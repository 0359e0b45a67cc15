# textcrm: the two quick-start commands, and the developer's tasks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE_TODAY := 2026-11-28

.PHONY: demo test setup setup-test lint update-golden bench clean

$(BIN)/textcrm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

setup: $(BIN)/textcrm

## demo: set up, check the bundled example CRM, build its pipeline site and say where it is
demo: setup
	$(BIN)/textcrm check --root example-repo --today $(EXAMPLE_TODAY)
	$(BIN)/textcrm build --root example-repo --today $(EXAMPLE_TODAY) -o $(CURDIR)/_site
	@echo
	@echo "The pipeline site is in $(CURDIR)/_site: open file://$(CURDIR)/_site/index.html"

## test: set up everything the tests need, then run the whole suite
setup-test: setup
	bash scripts/setup-test.sh $(BIN)

test: setup-test
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## update-golden: rewrite tests/golden/ and the examples in docs/reports.md from real output
update-golden: setup-test
	$(BIN)/python -m pytest --update-golden tests/test_reports.py tests/test_reports_docs.py tests/test_output_formats.py tests/test_stages.py

clean:
	rm -rf $(VENV) _site example-repo/_site example-repo/.textcrm-cache
