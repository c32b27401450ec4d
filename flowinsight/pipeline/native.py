"""The pipeline's C parts (pipeline/sweep/: the sweep over task records and the critical
path), when they are built (setup.py) and not turned off with FLOWINSIGHT_NATIVE=0. Each has
its Python reference next to its caller; tests/test_parallel.py holds the outputs of both
to the same bytes."""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("FLOWINSIGHT_NATIVE", "").strip() == "0":
        return None
    try:
        from flowinsight.pipeline import _sweep
    except ImportError:
        return None
    return _sweep


sweep_module = _load()
