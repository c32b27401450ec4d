# flowinsight: `make run` to try it on a sample, `make test` for the whole suite.
# Both set up everything they need: a virtualenv in .venv and Graphviz's `dot`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := samples/sage_pipeline
OUT    := out

.PHONY: setup dot run test typecheck unit test-live bench clean node-deps chromium

# setup.py and the C sources (the native decoder, the analysis sweep, ...) are built in place
$(STAMP): pyproject.toml setup.py $(wildcard flowinsight/*/*.c flowinsight/*/*/*.c flowinsight/*/*/*.h)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# bytecode compiled now, as a wheel install does: an editable install has none, and with
	@# PYTHONDONTWRITEBYTECODE set every command would compile every module it imports
	$(BIN)/python -m compileall -q flowinsight
	@touch $(STAMP)

setup: $(STAMP) dot

# Graphviz draws SVG. Installed with the system package manager when we can (root or
# passwordless sudo on Debian/Ubuntu); otherwise we say what to install.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "Graphviz's 'dot' is missing: install it (apt-get install graphviz, brew install graphviz or conda install graphviz)"; exit 1; fi; \
	  echo "installing graphviz (dot) with apt-get"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; }

run: setup
	$(BIN)/flowinsight analyze $(SAMPLE)
	@mkdir -p $(OUT)
	$(BIN)/flowinsight export $(SAMPLE) -o $(OUT)/sage_pipeline.svg
	@echo "wrote $(OUT)/sage_pipeline.svg"

# Real consumers that tests check our output with, from npm: the Chrome DevTools trace engine
# and Mermaid. Installed from their lockfiles when the lockfile changes.
NODE_TRACE   := tests/trace/node
NODE_MERMAID := tests/ci/node

%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund

node-deps: $(NODE_TRACE)/node_modules/.package-lock.json $(NODE_MERMAID)/node_modules/.package-lock.json chromium

# Mermaid is drawn in headless Chromium when it is there (installed here when we can, like
# dot); without it the tests fall back to Mermaid's own parser under jsdom.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (headless Mermaid rendering) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "chromium could not be installed: Mermaid is checked by its parser only"; \
	  else echo "no chromium: Mermaid output is checked by Mermaid's parser only"; fi; }

typecheck: $(STAMP)
	$(BIN)/mypy

unit: setup node-deps
	$(BIN)/pytest tests --ignore=tests/live -q -n auto

test: setup typecheck unit

# Live tests: real Ray (from PyPI, with Ray Data, Tune, Serve and the dashboard agent) on
# 127.0.0.1, the workloads run under flowinsight.recorder with the Export API on, then
# flowinsight's graphs checked (tests/live/run_live.sh).
RAY_STAMP := $(VENV)/.installed-ray
$(RAY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e '.[ray,ray-libs,dev]'
	@touch $(RAY_STAMP)

test-live: $(RAY_STAMP) dot
	tests/live/run_live.sh

# Speed and memory against the parse floor (a bare orjson loop) on inputs built from
# samples/scale_15k.tar.gz; sizes in MB. Results: bench/results.json and a table on stdout.
BENCH_SIZES ?= 250 500 1000
bench: $(STAMP)
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .pytest_cache $(NODE_TRACE)/node_modules $(NODE_MERMAID)/node_modules
