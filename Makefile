# flowinsight: `make run` to try it on a sample, `make test` for the whole suite.
# Both set up everything they need: a virtualenv in .venv and Graphviz's `dot`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := samples/sage_pipeline
OUT    := out

.PHONY: setup dot run test typecheck unit test-pythons test-live test-sanitized bench clean node-deps chromium

# setup.py and the C (flowinsight/native/: the decoder, the records, the sweep), built in place
$(STAMP): pyproject.toml setup.py $(wildcard flowinsight/native/*.c flowinsight/native/*.h)
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

# The same (mypy, then the unit suite) on each Python flowinsight supports, each in its own
# virtualenv (.venv-3.11, .venv-3.12, .venv-3.13) with what builds there: the C extensions on
# the Pythons they are written for (flowinsight/switch.py), else none. The interpreter is
# python3.X on the PATH, or pyenv's 3.X. One or some: `make test-pythons PYTHONS=3.13`.
PYTHONS ?= 3.11 3.12 3.13
test-pythons: dot node-deps
	@for v in $(PYTHONS); do $(MAKE) --no-print-directory test-python-$$v || exit 1; done

# (a stamp, kept: make would delete it as an intermediate file of test-python-%)
.PRECIOUS: .venv-%/.installed
.venv-%/.installed: pyproject.toml setup.py $(wildcard flowinsight/native/*.c flowinsight/native/*.h)
	@test -x .venv-$*/bin/python || { \
	  exe=$$(python$* -c 'import sys; print(sys.executable)' 2>/dev/null \
	    || PYENV_VERSION=$* python$* -c 'import sys; print(sys.executable)' 2>/dev/null) \
	    || { echo "no Python $*: put python$* on the PATH (or pyenv install $*)"; exit 1; }; \
	  echo "creating .venv-$* with $$exe"; $$exe -m venv .venv-$*; }
	.venv-$*/bin/python -m pip install -q --upgrade pip
	.venv-$*/bin/python -m pip install -q -e '.[dev]'
	.venv-$*/bin/python -m compileall -q flowinsight
	@touch $@

test-python-%: .venv-%/.installed
	@echo "== Python $* ($$(.venv-$*/bin/python -c 'import sys; print(sys.version.split()[0])'))"
	.venv-$*/bin/mypy --python-version $*
	.venv-$*/bin/pytest tests --ignore=tests/live -q -n auto

# Live tests: real Ray (from PyPI, with Ray Data, Tune, Serve and the dashboard agent) on
# 127.0.0.1, the workloads run under flowinsight.recorder with the Export API on, then
# flowinsight's graphs checked (tests/live/run_live.sh).
RAY_STAMP := $(VENV)/.installed-ray
$(RAY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e '.[ray,ray-libs,dev]'
	@touch $(RAY_STAMP)

test-live: $(RAY_STAMP) dot
	tests/live/run_live.sh

# The C under AddressSanitizer and UndefinedBehaviorSanitizer, in a copy of the tree
test-sanitized: $(STAMP)
	PYTHON=$(BIN)/python tests/sanitized.sh

# Speed and memory against the parse floor (a bare orjson loop) on inputs built from
# samples/scale_15k.tar.gz; sizes in MB. Results: bench/results.json and a table on stdout.
BENCH_SIZES ?= 250 500 1000
bench: $(STAMP)
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv-3.* $(OUT) .mypy_cache .pytest_cache $(NODE_TRACE)/node_modules $(NODE_MERMAID)/node_modules
