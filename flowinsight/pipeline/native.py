"""The pipeline's C parts (_sweep in native/: the sweep over task records and the critical
path), when they are built (setup.py) and not turned off with FLOWINSIGHT_NATIVE=0. Each has
its Python reference next to its caller; tests/test_parallel.py holds the outputs of both
to the same bytes."""

from __future__ import annotations

from types import ModuleType

from flowinsight.switch import native_on


def _load() -> ModuleType | None:
    if not native_on():
        return None
    try:
        from flowinsight.pipeline import _sweep
    except ImportError:
        return None
    return _sweep


sweep_module = _load()
