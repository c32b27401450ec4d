#!/usr/bin/env bash
# The C extensions under AddressSanitizer and UndefinedBehaviorSanitizer: a copy of the tree
# (the package, its tests and what they read) is built with both, and the tests that drive the C (the
# decoder, the records, the sweep, the parallel read, damaged and hostile input) run there
# with the sanitizers' runtimes preloaded into the interpreter, which is not built with them.
# The first report of either ends the run with an error. `make test-sanitized`.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
# absolute, its symlink kept: a venv's python resolved is the base interpreter, without the venv
PY="$(cd "$(dirname "$py")" && pwd)/$(basename "$py")"
work=$(mktemp -d "${TMPDIR:-/tmp}/flowinsight-sanitized-XXXXXX")
# a report is written to a file (pytest holds the process's stderr) and shown before the copy goes
trap 'cat "$work"/report.* 2>/dev/null || true; rm -rf "$work"' EXIT
tar --exclude='*.so' --exclude=node_modules --exclude=__pycache__ --exclude=bench/data -cf - \
    setup.py pyproject.toml README.md docs flowinsight tests samples bench | tar -xf - -C "$work"
cd "$work"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" "$PY" setup.py -q build_ext --inplace \
    >build.log 2>&1 || { cat build.log; exit 1; }
ls flowinsight/read/_taskline.*.so flowinsight/pipeline/_records.*.so \
   flowinsight/pipeline/_sweep.*.so >/dev/null  # all three built (they are optional in setup.py)
runtimes="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# leaks are not checked: CPython keeps objects alive to its exit by design
# the memory bounds of test_cliffs.py are left out: ASan's shadow memory is in every peak
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:log_path="$work/report" \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path="$work/report" \
LD_PRELOAD="$runtimes" PYTHONPATH=. "$PY" -m pytest -q -p no:cacheprovider -x \
    tests/test_native.py tests/test_decode_ids_states.py tests/test_decode_scan.py \
    tests/test_read_buffer.py tests/test_fold_batches.py tests/test_records_blob.py \
    tests/test_records_into.py tests/test_records_native.py tests/test_sweep_native.py \
    tests/test_sweep_order.py tests/test_table_merge.py tests/test_fast_paths.py \
    tests/test_parallel.py tests/test_critical_path.py tests/robustness \
    -k "not stay_small" "$@"
