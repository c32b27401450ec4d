"""The Pythons flowinsight runs on (3.11, 3.12, 3.13: `make test-pythons` runs this suite on
each) and the ones its C extensions are written for: built and loaded exactly there, the
Python references everywhere else."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from flowinsight.pipeline import native as pipeline_native
from flowinsight.pipeline import tasks
from flowinsight.read import native as read_native
from flowinsight.switch import NATIVE_PYTHONS, native_on, native_supported

NATIVE = ROOT / "flowinsight" / "native"


@pytest.mark.parametrize(("implementation", "version", "abiflags", "supported"), [
    ("cpython", (3, 11), "", True),
    ("cpython", (3, 12), "", True),
    ("cpython", (3, 13), "", True),
    ("cpython", (3, 13), "t", False),  # free-threaded
    ("cpython", (3, 13), "d", True),   # a debug build has the same objects
    ("cpython", (3, 10), "", False),
    ("cpython", (3, 14), "", False),
    ("pypy", (3, 11), "", False),
])
def test_the_extensions_are_written_for_cpython_3_11_to_3_13_with_the_gil(
        implementation: str, version: tuple[int, int], abiflags: str, supported: bool) -> None:
    assert NATIVE_PYTHONS == ((3, 11), (3, 13))
    assert native_supported(implementation, version, abiflags) is supported


def test_the_c_headers_refuse_older_pythons_and_builds_without_the_gil() -> None:
    # (newer ones build: the C uses CPython's public API only; setup.py builds it only where
    # native_supported holds, the versions tested)
    oldest = NATIVE_PYTHONS[0]
    guard = (f"#if PY_VERSION_HEX < 0x{oldest[0]:02X}{oldest[1]:02X}0000 "
             "|| defined(Py_GIL_DISABLED) || defined(PYPY_VERSION)")
    text = re.sub(r"\s*\\\n\s*", " ", (NATIVE / "cpython.h").read_text())
    assert guard in text
    assert '#error "flowinsight\'s C extensions need CPython 3.11 or later, with the GIL"' in text
    # and no C file takes CPython's headers but through it
    for path in sorted(NATIVE.glob("*.[ch]")):
        if path.name != "cpython.h":
            assert "<Python.h>" not in path.read_text(), path.name


def test_the_extensions_are_loaded_exactly_where_they_may_be() -> None:
    # where they are written for (and not turned off), all three are built and loaded: a build
    # that failed would otherwise only show as slower runs and skipped parity tests; elsewhere
    # none is, and the Python references run (the rest of the suite checks their output)
    loaded = (read_native.decode_task_line is not None, pipeline_native.sweep_module is not None,
              tasks._NATIVE is not None)
    assert loaded == (native_on(),) * 3
