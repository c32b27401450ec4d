"""Live tests (test_live_*.py) start real Ray clusters: they run only when asked
(FLOWINSIGHT_LIVE=1, which tests/live/run_live.sh sets) and only where Ray is installed.
The recorder's unit tests beside them run everywhere."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

LIVE_ENV = "FLOWINSIGHT_LIVE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(LIVE_ENV) == "1" and importlib.util.find_spec("ray") is not None:
        return
    skip = pytest.mark.skip(
        reason="live Ray test: run tests/live/run_live.sh (FLOWINSIGHT_LIVE=1, ray installed)"
    )
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == Path(__file__).parent and path.name.startswith("test_live_"):
            item.add_marker(skip)
