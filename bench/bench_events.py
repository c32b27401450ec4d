"""The events the micro-benchmarks of the native code run on: a capture's, read once."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

from flowinsight.model.events import Event
from flowinsight.read import discover, read_capture

ROOT = Path(__file__).resolve().parents[1]


def load_events(arg: str | None) -> tuple[str, list[Event]]:
    """The events of the capture dir `arg`, else of bench/data/100mb (made by `make bench`
    with BENCH_SIZES=100), else of samples/scale_15k.tar.gz; with where they came from."""
    path = Path(arg) if arg else ROOT / "bench" / "data" / "100mb"
    if path.exists():
        return str(path), list(read_capture(discover([str(path)])).events)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(ROOT / "samples" / "scale_15k.tar.gz") as tar:
            tar.extractall(tmp, filter="data")
        return "samples/scale_15k.tar.gz", list(read_capture(discover([tmp])).events)
