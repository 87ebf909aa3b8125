# Developer entry points. `make demo` runs the example site on the local Stream emulator;
# `make test` runs everything CI checks (.ci/run calls exactly this).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
EMULATOR_PORT ?= 8765
SDK_BUNDLE := build/sdk/stream-chat.js

.PHONY: help install demo test test-js lint typecheck pytest tox bench sdk chromium wrk clean screenshots

help:
	@echo "make demo   run the example project on the emulator (http://127.0.0.1:$(PORT)/)"
	@echo "make test   lint, type-check and run the whole test suite, browser tests included"
	@echo "make bench  run the benchmarks and write benchmarks/results/latest.json"
	@echo "make tox    run the suite on every supported Django x Python pair"

# Debian's python3 has no ensurepip until python3-venv is installed: installed here when root (as
# for Chromium), and a half-made virtualenv is removed so that the next run does not trust it.
$(BIN)/.installed: setup.cfg pyproject.toml
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
				>/dev/null) && $(PYTHON) -m venv $(VENV); \
		else echo "Install python3-venv first: sudo apt-get install python3-venv" >&2; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Stream JS SDK as one browser ES module, for offline use (tests, the demo). Never committed.
$(SDK_BUNDLE): node_modules/.installed
	mkdir -p $(dir $@)
	npx esbuild --bundle --format=esm --platform=browser --minify --log-level=warning \
		--outfile=$@ node_modules/stream-chat/dist/esm/index.mjs

sdk: $(SDK_BUNDLE)

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
		else echo "Install Chromium first: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

# Debian's wrk, the benchmarks' load generator (a C client: the Python one costs the shared cores
# about five times its CPU per request). Without it the benchmarks fall back to Python threads.
wrk:
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
				|| echo "wrk could not be installed: using the Python load generator" >&2; \
		else echo "wrk is not installed (sudo apt-get install wrk): using the Python load generator" >&2; fi; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# Two runs, one coverage total: AUTH_USER_MODEL cannot change within a run, so tests/core runs
# again with the custom user model (UUID key, email username), appending to the same data.
pytest: install sdk chromium wrk
	$(BIN)/pytest --cov --cov-report= $(PYTEST_ARGS)
	$(BIN)/pytest --ds=tests.settings_custom_user tests/core --cov --cov-append \
		--cov-report=term --cov-fail-under=95 $(PYTEST_ARGS)

test: lint typecheck pytest

# Only the real Stream JS SDK (Node) against the emulator, fan-out included (tests/js).
test-js: install
	$(BIN)/pytest tests/js -m node -q -p no:randomly $(PYTEST_ARGS)

# pyenv's interpreters (3.10 ... 3.13) are put on PATH so that tox finds each base_python.
tox: install sdk chromium
	PATH="$$(ls -d $$HOME/.pyenv/versions/3.*/bin 2>/dev/null | tr '\n' ':')$$PATH" \
		$(BIN)/tox run-parallel --parallel-no-spinner $(TOX_ARGS)

bench: install sdk chromium wrk
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

demo: install sdk
	$(BIN)/python example_project/manage.py demo --port $(PORT) --emulator-port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) node_modules build dist .tox .coverage example_project/db.sqlite3 \
		example_project/emulator-data.json

# Refresh the README's screenshots (the browser tests otherwise write them to tests/artifacts/).
screenshots: install sdk chromium
	STREAMINBOX_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/browser -k screenshots -q
