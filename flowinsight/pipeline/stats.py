"""Exact distributions of durations; no approximations."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from flowinsight.result import Attempt, Dist, Stats


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def dist(values: Iterable[float | None]) -> Dist | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    return Dist(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[-1],
                math.fsum(ordered))


def stats(attempts: Sequence[Attempt]) -> Stats:
    return Stats(
        tasks=len({a.task_id for a in attempts}),
        attempts=len(attempts),
        failures=sum(1 for a in attempts if a.status == "FAILED"),
        retries=sum(1 for a in attempts if a.attempt > 0),
        exec_ms=dist(a.exec_ms for a in attempts),
        queue_ms=dist(a.queue_ms for a in attempts),
    )


def rate(times_ms: Sequence[float]) -> float | None:
    """Events per second over the span from the first to the last; None below two events."""
    if len(times_ms) < 2:
        return None
    span = (max(times_ms) - min(times_ms)) / 1000.0
    return len(times_ms) / span if span > 0 else None
