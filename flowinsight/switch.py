"""The one switch of the C extensions: FLOWINSIGHT_NATIVE=0 turns every one of them off (the
decoder, the records, the sweep), so that the Python references run instead."""

from __future__ import annotations

import os

NATIVE_ENV = "FLOWINSIGHT_NATIVE"


def native_on() -> bool:
    """Whether the extensions may be used (they may still be missing: not built)."""
    return os.environ.get(NATIVE_ENV, "").strip() != "0"
