"""The forked workers (flowinsight/read/forked.py): every item's result exactly once, a worker's
exception raised in the parent, a worker that dies reported, and no worker left behind."""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

from flowinsight.errors import WorkerDied
from flowinsight.read.forked import fork_supported, run_forked

pytestmark = pytest.mark.skipif(not fork_supported(), reason="fork is used on Linux only")


def _children() -> set[int]:
    """This process's live child processes (zombies included)."""
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.add(int(entry.name))
    return found


def square(n: int) -> tuple[int, int, int]:
    return n, n * n, os.getpid()


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("count", [1, 2, 7, 40])
def test_every_item_is_worked_once_in_the_workers(workers: int, count: int) -> None:
    before = _children()
    results = list(run_forked(list(range(count)), square, workers))
    assert sorted(r[:2] for r in results) == [(n, n * n) for n in range(count)]
    assert os.getpid() not in {r[2] for r in results}
    assert len({r[2] for r in results}) <= workers
    assert _children() == before


def test_large_answers_cross_the_pipe_whole() -> None:
    sizes = [0, 1, 65535, 65536, 1 << 20, (1 << 20) + 7, 5 << 20]
    got = dict(run_forked(sizes, lambda n: (n, random.Random(n).randbytes(n)), 2))
    assert got == {n: random.Random(n).randbytes(n) for n in sizes}


class Refused(ValueError):
    pass


def refuse_three(n: int) -> int:
    if n == 3:
        raise Refused(f"no {n}")
    return n


def test_a_workers_exception_is_raised_in_the_parent() -> None:
    before = _children()
    with pytest.raises(Refused, match="no 3"):
        list(run_forked(list(range(10)), refuse_three, 2))
    assert _children() == before


def die_on_five(n: int) -> int:
    if n == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_a_worker_that_dies_is_reported_with_how() -> None:
    before = _children()
    with pytest.raises(WorkerDied, match=r"pid \d+\) ended by SIGKILL \(out of memory\? try "
                                         r"--jobs 1\)"):
        list(run_forked(list(range(10)), die_on_five, 2))
    assert _children() == before


def test_leaving_early_stops_the_workers() -> None:
    before = _children()
    results = run_forked(list(range(50)), square, 2)
    assert next(results)[0] in range(50)
    results.close()  # type: ignore[attr-defined]
    assert _children() == before
