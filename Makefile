# The README's commands. Each target creates and fills .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: help install demo test lint format run eval bench clean

help:
	@echo "make demo   - run one digest for two demo channels (SQLite, console output)"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff check + format check + mypy (strict)"
	@echo "make run    - start the bot (console REPL when no platform is configured)"
	@echo "make eval   - ranking quality on $(SHARED)/eval"
	@echo "make bench  - speed benchmarks"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,ml]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/paperboy demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: $(STAMP)
	$(BIN)/paperboy run

eval: $(STAMP)
	$(BIN)/python -m bot.evaluate $(SHARED)/eval eval

bench: $(STAMP)
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis paperboy.db
