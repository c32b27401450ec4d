"""Live tests start real Ray clusters: they run only when asked (FLOWINSIGHT_LIVE=1, which
tests/live/run_live.sh sets) and only where Ray is installed."""

from __future__ import annotations

import importlib.util
import os

import pytest

LIVE_ENV = "FLOWINSIGHT_LIVE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(LIVE_ENV) == "1" and importlib.util.find_spec("ray") is not None:
        return
    reason = (
        "live Ray test: run tests/live/run_live.sh (needs FLOWINSIGHT_LIVE=1 and ray installed)"
    )
    for item in items:
        if "tests/live/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=reason))
