#!/usr/bin/env bash
# Live tests: real local Ray sessions recorded with flowinsight.recorder, checked line by line
# and through `python -m flowinsight export`. Called by `make test-live`.
#
#   tests/live/run_live.sh [pytest args...]
#
# Needs .venv with the package:  python3 -m venv .venv && .venv/bin/pip install -e '.[ray,dev]'
# Every Ray process a test starts is stopped when the test ends, passed or failed; whatever is
# still running under this run's temp root when the script exits is stopped too (by pid).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
if [[ ! -x "$PY" ]]; then
    echo "run_live.sh: no .venv; create it with:" >&2
    echo "  python3 -m venv .venv && .venv/bin/pip install -e '.[ray,dev]'" >&2
    exit 2
fi
if ! "$PY" -c "import ray, numpy" 2>/dev/null; then
    echo "run_live.sh: .venv lacks ray/numpy: .venv/bin/pip install -e '.[ray,dev]'" >&2
    exit 2
fi

FLOWINSIGHT_LIVE_TMP="$(mktemp -d /tmp/fil-XXXX)"  # short: Ray's socket paths are limited
export FLOWINSIGHT_LIVE=1 FLOWINSIGHT_LIVE_TMP
cleanup() {
    "$PY" -m tests.live.harness stop "$FLOWINSIGHT_LIVE_TMP" || true
    [[ -n "${FLOWINSIGHT_LIVE_KEEP:-}" ]] || rm -rf "$FLOWINSIGHT_LIVE_TMP"
}
trap cleanup EXIT

# SIGINT first, so that pytest runs the fixtures' teardown (which stops Ray) on overrun. The
# suite (166 tests, each program a Ray session of its own, one at a time) took 25 minutes for
# its first 94 tests on this project's 2-core VM on a slow day; the bound leaves room for a
# slower machine, and stops a run that hangs.
timeout --signal=INT --kill-after=60 3600 \
    "$PY" -m pytest tests/live -p no:cacheprovider -q -rs "$@"
