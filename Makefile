# 选聘流 – the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2

.PHONY: install run test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/xuanpin db upgrade
	$(BIN)/xuanpin deploy processes forms
	$(BIN)/xuanpin demo
	PORT=$(PORT) $(BIN)/xuanpin serve --port $(PORT)

lint: install
	$(BIN)/ruff check .

test-sqlite: install
	env -u TEST_DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS)

test-postgres: install
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python -m bench.rest_step

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
