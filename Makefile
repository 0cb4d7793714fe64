# 选聘流 – the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2

WEB    := service/web
VENDOR_STAMP := $(WEB)/static/vendor/.stamp

.PHONY: install vendor browser run test test-sqlite test-postgres lint bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Front-end packages from npm (committed lock file) copied into static/vendor, the ES-module ones
# bundled there with esbuild (service/web/frontend/); no Node at run time.
$(VENDOR_STAMP): $(WEB)/package-lock.json $(WEB)/vendor.py $(wildcard $(WEB)/frontend/*.js) | $(STAMP)
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python -m service.web.vendor
	touch $(VENDOR_STAMP)

vendor: $(VENDOR_STAMP)

# Browser tests drive Debian's Chromium (never a downloaded browser), with a CJK font so pages
# and screenshots render Chinese.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

run: install vendor
	$(BIN)/xuanpin db upgrade
	$(BIN)/xuanpin deploy processes forms
	$(BIN)/xuanpin demo
	PORT=$(PORT) $(BIN)/xuanpin serve --port $(PORT)

lint: install
	$(BIN)/ruff check .

test-sqlite: install vendor browser
	env -u TEST_DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS)

test-postgres: install vendor browser
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint test-sqlite test-postgres

# Pictures of the main pages in docs/screenshots/ from a fresh demo (service/web/screenshots.py).
screenshots: install vendor browser
	$(BIN)/python -m service.web.screenshots

bench: install
	$(BIN)/python -m bench.rest_step

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(WEB)/node_modules $(WEB)/static/vendor
