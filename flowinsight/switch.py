"""The one switch of the C extensions: FLOWINSIGHT_NATIVE=0 turns every one of them off (the
decoder, the records, the sweep), so that the Python references run instead. They are also
off on a Python they are not written for (see native_supported); setup.py builds them only
where native_supported() holds, and reads it from this file, which therefore imports nothing
but the standard library."""

from __future__ import annotations

import os
import sys

NATIVE_ENV = "FLOWINSIGHT_NATIVE"

# The CPython versions (oldest, newest) the extensions are built and tested on. They use only
# CPython's public C API (records' fields through their member descriptors, no private calls
# or object layouts), so a newer CPython should build them too, but they are built only where
# they are tested; native/cpython.h refuses older ones, and any build
# without the GIL.
NATIVE_PYTHONS = ((3, 11), (3, 13))


def native_supported(implementation: str = sys.implementation.name,
                     version: tuple[int, int] = (sys.version_info[0], sys.version_info[1]),
                     abiflags: str = getattr(sys, "abiflags", "")) -> bool:
    """Whether this Python (by default the running one) is one the extensions are built for:
    CPython within NATIVE_PYTHONS, with the GIL (a free-threaded build, abiflags "t", would
    race on the module state and borrowed references the C keeps without locks)."""
    oldest, newest = NATIVE_PYTHONS
    return implementation == "cpython" and oldest <= version <= newest and "t" not in abiflags


def native_on() -> bool:
    """Whether the extensions may be used (they may still be missing: not built): not turned
    off by FLOWINSIGHT_NATIVE=0, on a Python they are written for."""
    return os.environ.get(NATIVE_ENV, "").strip() != "0" and native_supported()
