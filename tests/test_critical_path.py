"""The critical path (pipeline/critical.py) gives what its rule gives, stated plainly below
(`by_the_rule`: each task's last attempt that ran, each caller's longest chain of callees by
a post-order from each caller in id order, loops cut where that walk meets them, each job's
root with the longest chain, ties to the greater id). The Python version (critical_columns.py)
reads whole columns with numpy: each caller's callees compared at once, the callers level by
level from the deepest up; the C one (native/critical.c, when built) answers rows in task id
order. On generated attempt tables with what real captures rarely hold together: retries out
of order, attempts that never ran, negative attempt numbers, equal durations, durations past
2**52 ns, callers without a row, parent links that loop, ids of other lengths, in and out of
task id order. Runs with and without the C."""

from __future__ import annotations

import random
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowinsight.pipeline.critical import critical_paths, critical_paths_py
from flowinsight.result import NO_NS, AttemptTable, CriticalPath, PathStep

JOBS = ("01000000", "02000000")
BOTH = (critical_paths, critical_paths_py)  # the C's where built and the rows in id order


def by_the_rule(attempts: AttemptTable, job_of: Callable[[str], str]) -> tuple[CriticalPath, ...]:
    task_ids, numbers = attempts.task_ids, attempts.numbers
    starts, ends, parents, nodes = (attempts.start_ns, attempts.end_ns, attempts.parents,
                                    attempts.nodes)
    last: dict[str, int] = {}  # task -> row of its last attempt that ran
    for row, task_id in enumerate(task_ids):
        began, ended = starts[row], ends[row]
        if began != NO_NS and ended != NO_NS and ended >= began:
            other = last.get(task_id)
            if other is None or numbers[row] > numbers[other]:
                last[task_id] = row

    def exec_ms(task_id: str) -> float:
        return (ends[last[task_id]] - starts[last[task_id]]) / 1e6

    children: dict[str, list[str]] = {}
    roots: dict[str, list[str]] = {}
    for task_id, row in last.items():
        children.setdefault(parents[row], []).append(task_id)
        if parents[row] not in last:
            roots.setdefault(job_of(task_id), []).append(task_id)
    best: dict[str, tuple[float, str]] = {}
    visiting: set[str] = set()
    for below in children.values():
        below.sort()
    for root in sorted(t for t in children if t in last):
        stack = [(root, False)]
        while stack:
            task_id, done = stack.pop()
            if task_id in best:
                continue
            below = children[task_id]
            if not done:
                if task_id in visiting:
                    continue
                visiting.add(task_id)
                stack.append((task_id, True))
                stack.extend((c, False) for c in below if c in children and c not in best)
                continue
            tail = max(((best[c][0] if c in children else exec_ms(c) + 0.0, c)
                        for c in below if c in best or c not in children), default=(0.0, ""))
            best[task_id] = (exec_ms(task_id) + tail[0], tail[1])

    def chain(task_id: str) -> tuple[float, str]:
        return best.get(task_id, (exec_ms(task_id) + 0.0, ""))

    paths = []
    for job in sorted(roots):
        node = max(roots[job], key=lambda t: (chain(t)[0], t))
        steps = []
        while node:
            steps.append(PathStep(nodes[last[node]], node, exec_ms(node)))
            node = chain(node)[1]
        begin = min(starts[last[s.task_id]] for s in steps)
        end = max(ends[last[s.task_id]] for s in steps)
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def job_of(task_id: str) -> str:
    return task_id[-8:] if len(task_id) == 48 else ""


IDS = [f"{i:02x}" * 20 + JOBS[i % 2] for i in range(8)] + ["x", "é" * 48]  # never "": the
# path would end before it starts (the rule fails there: no task id is "")


@st.composite
def tables(draw: st.DrawFn) -> AttemptTable:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=0, max_size=24))
    if draw(st.booleans()):
        ids.sort()  # task id order, as the sweep makes them
    n = len(ids)
    huge = draw(st.integers(0, 5)) == 0
    times = st.one_of(st.just(NO_NS), st.integers(0, 40),
                      st.integers(1 << 52, 1 << 53) if huge else st.integers(0, 40))
    starts = [draw(st.one_of(st.just(NO_NS), st.integers(0, 20))) for _ in range(n)]
    ends = [draw(times) for _ in range(n)]
    numbers = [draw(st.integers(-1 if draw(st.integers(0, 9)) == 0 else 0, 2)) for _ in range(n)]
    parents = [draw(st.sampled_from(IDS + ["f" * 48])) for _ in range(n)]
    nodes = [f"node{i}" for i in range(n)]
    return AttemptTable(ids, numbers, nodes, parents, bytes(n), {}, [""] * n, [""] * n,
                        [None] * n, [NO_NS] * n, starts, ends)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_generated_tables(table: AttemptTable) -> None:
    want = by_the_rule(table, job_of)
    assert critical_paths_py(table, job_of) == want
    assert critical_paths(table, job_of) == want  # the C's, where built and in id order
    jobs_of = {t: "0a000000" for t in table.task_ids[::3]}  # jobs not in their ids

    def job_or_given(task_id: str) -> str:
        return jobs_of[task_id] if task_id in jobs_of else job_of(task_id)

    want = by_the_rule(table, job_or_given)
    assert all(paths(table, job_or_given, jobs_of) == want for paths in BOTH)


def test_a_chain_down_from_the_driver() -> None:
    """driver -> a (5 ms) -> {b (2 ms), c (3 ms)}; c is on the path, and b's retry that ran
    longer with a lower number does not count."""
    driver, a, b, c = ("f" * 40 + JOBS[0], "a" * 40 + JOBS[0], "b" * 40 + JOBS[0],
                       "c" * 40 + JOBS[0])
    ms = 1_000_000
    ids = [a, b, b, c]
    table = AttemptTable(ids, [0, 1, 0, 0], ["A", "B", "B0", "C"], [driver, a, a, a], bytes(4),
                         {}, [""] * 4, [""] * 4, [None] * 4, [NO_NS] * 4,
                         [0, 1 * ms, 0, 1 * ms], [5 * ms, 3 * ms, 9 * ms, 4 * ms])
    want = (CriticalPath(JOBS[0], (PathStep("A", a, 5.0), PathStep("C", c, 3.0)), 5.0),)
    assert want == by_the_rule(table, job_of)
    assert all(paths(table, job_of) == want for paths in BOTH)


def _table(ids: list[str], parents: list[str], starts: list[int], ends: list[int],
           numbers: list[int] | None = None) -> AttemptTable:
    n = len(ids)
    return AttemptTable(ids, numbers or [0] * n, [f"node{i}" for i in range(n)], parents,
                        bytes(n), {}, [""] * n, [""] * n, [None] * n, [NO_NS] * n, starts, ends)


def test_a_callee_that_called_none_ties_with_one_that_did() -> None:
    """driver -> p (5 ms) -> {a leaf (1 ms), a caller (0 ms) -> its leaf (1 ms)}: equal chains,
    the greater id's taken, whichever of the two it is."""
    job = JOBS[0]
    ms = 1_000_000
    driver, p, low, high, below = (c * 40 + job for c in "f1234")
    for leaf, caller in ((low, high), (high, low)):
        table = _table([p, leaf, caller, below], [driver, p, p, caller], [0] * 4,
                       [5 * ms, 1 * ms, 0, 1 * ms])
        steps = [PathStep("node0", p, 5.0), PathStep("node2", caller, 0.0),
                 PathStep("node3", below, 1.0)] if caller == high else [
                     PathStep("node0", p, 5.0), PathStep("node1", leaf, 1.0)]
        want = (CriticalPath(job, tuple(steps), 5.0),)
        assert want == by_the_rule(table, job_of)
        assert all(paths(table, job_of) == want for paths in BOTH)


def test_equal_chains_go_to_the_greater_id_and_a_loop_is_no_path() -> None:
    """driver -> {a, b}, each 2 ms + a callee of 3 ms (a1, b1): equal chains, b's id is the
    greater. x <-> y call each other (20 ms each): no caller of theirs ran outside the loop,
    so they start no path, however long."""
    job = JOBS[0]
    driver, a, a1, b, b1, x, y = (c * 40 + job for c in "fa1b2xy")
    ms = 1_000_000
    table = _table([a, a1, b, b1, x, y], [driver, a, driver, b, y, x],
                   [0, 0, 0, 0, 0, 0], [2 * ms, 3 * ms, 2 * ms, 3 * ms, 20 * ms, 20 * ms])
    want = (CriticalPath(job, (PathStep("node2", b, 2.0), PathStep("node3", b1, 3.0)), 3.0),)
    assert want == by_the_rule(table, job_of)
    assert all(paths(table, job_of) == want for paths in BOTH)


def test_durations_past_2_53_ns() -> None:
    """A duration of 2**53 + 1 ns is no double: its ms is Python's int / 1e6 (the nearest
    double, divided), as the total's is."""
    task = "a" * 40 + JOBS[0]
    table = _table([task], ["f" * 48], [0], [(1 << 53) + 1])
    for paths in BOTH:
        (path,) = paths(table, job_of)
        assert path.steps[0].exec_ms == ((1 << 53) + 1) / 1e6 == path.total_ms


def test_nothing_ran() -> None:
    for paths in BOTH:
        assert paths(_table([], [], [], []), job_of) == ()
        assert paths(_table(["a"], ["b"], [5], [NO_NS]), job_of) == ()


@pytest.mark.parametrize("seed", range(6))
def test_large_trees(seed: int) -> None:
    """Thousands of tasks in trees up to hundreds of calls deep (a level each, bottom up),
    with many equal durations, retries, attempts that never ran, rows out of task id order
    and loops of parent links, two jobs: the answer of the rule."""
    rng = random.Random(seed)
    n = 3000
    ids = [f"{rng.getrandbits(64):016x}" + "f" * 24 + JOBS[i % 2] for i in range(n)]
    deep = rng.choice((2, 50, 400))  # how far back a caller may be: long chains when small
    parents = ["f" * 40 + JOBS[i % 2] if i == 0 or rng.random() < 0.02
               else ids[rng.randrange(max(0, i - deep), i)] for i in range(n)]
    for i in rng.sample(range(n), 5):  # loops: a caller later than its callee
        parents[i] = ids[rng.randrange(n)]
    starts = [rng.randrange(4) for _ in range(n)]
    ends = [s + rng.choice((0, 0, 0, 1, 2)) if rng.random() > 0.01 else NO_NS for s in starts]
    numbers = [0] * n
    retried = rng.sample(range(n), 100)
    ids += [ids[i] for i in retried]
    parents += [parents[i] for i in retried]
    starts += [rng.randrange(4) for _ in retried]
    ends += [s + rng.randrange(5) for s in starts[n:]]
    numbers += [rng.randrange(-1, 3) for _ in retried]
    order = list(range(len(ids)))
    if seed % 2:
        rng.shuffle(order)
    else:
        order.sort(key=ids.__getitem__)
    table = _table(*([column[i] for i in order] for column in (ids, parents, starts, ends,
                                                               numbers)))
    want = by_the_rule(table, job_of)
    assert all(paths(table, job_of) == want for paths in BOTH)
    assert max(len(p.steps) for p in want) > 3
