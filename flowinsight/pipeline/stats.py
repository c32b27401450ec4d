"""Exact distributions of durations; no approximations."""

from __future__ import annotations

import math
from array import array
from typing import Iterable, Sequence

from flowinsight.result import Dist, Stats


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def dist(values: Iterable[float | None]) -> Dist | None:
    return dist_of_sorted(sorted(v for v in values if v is not None))


def dist_of_sorted(ordered: Sequence[float]) -> Dist | None:
    """dist() of values already sorted (and none of them None)."""
    if not ordered:
        return None
    return Dist(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[-1],
                math.fsum(ordered))


def rate(times_ms: Sequence[float]) -> float | None:
    """Events per second over the span from the first to the last; None below two events."""
    if len(times_ms) < 2:
        return None
    return rate_between(len(times_ms), min(times_ms), max(times_ms))


def rate_between(count: int, first: float, last: float) -> float | None:
    """rate() of `count` events whose min() is `first` and max() is `last`."""
    if count < 2:
        return None
    span = (last - first) / 1000.0
    return count / span if span > 0 else None


class StatsSum:
    """Stats of attempts added one at a time: what `stats` gives for the same attempts, in any
    order (durations are kept and sorted at the end), without holding the attempts."""

    __slots__ = ("tasks", "attempts", "failures", "retries", "execs", "queues")

    def __init__(self) -> None:
        self.tasks = 0  # the caller counts a task once, however many attempts it adds
        self.attempts = self.failures = self.retries = 0
        self.execs: array[float] = array("d")
        self.queues: array[float] = array("d")

    def add(self, number: int, failed: bool, exec_ms: float | None,
            queue_ms: float | None) -> None:
        self.attempts += 1
        self.failures += failed
        self.retries += number > 0
        if exec_ms is not None:
            self.execs.append(exec_ms)
        if queue_ms is not None:
            self.queues.append(queue_ms)

    def stats(self) -> Stats:
        # dist() of arrays of doubles, which hold no None: sorted as they are
        return Stats(self.tasks, self.attempts, self.failures, self.retries,
                     dist_of_sorted(sorted(self.execs)), dist_of_sorted(sorted(self.queues)))
