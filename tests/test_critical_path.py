"""The critical path (pipeline/critical.py) gives what its rule gives, stated plainly below
(`by_the_rule`: each task's last attempt that ran, each caller's longest chain of callees by
a post-order from each caller in id order, loops cut where that walk meets them, each job's
root with the longest chain, ties to the greater id). The module's Python version reads whole
columns and compares each caller's callees at once; the C one (native/critical.c, when built)
answers rows in task id order. On generated attempt tables with what real captures rarely hold
together: retries out of order, attempts that never ran, negative attempt numbers, equal
durations, durations past 2**52 ns, callers without a row, parent links that loop, ids "" and
of other lengths, in and out of task id order. Runs with and without the C."""

from __future__ import annotations

from typing import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowinsight.pipeline.critical import critical_paths, critical_paths_py
from flowinsight.result import NO_NS, AttemptTable, CriticalPath, PathStep

JOBS = ("01000000", "02000000")


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


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_generated_tables(table: AttemptTable) -> None:
    want = by_the_rule(table, job_of)
    assert critical_paths_py(table, job_of) == want
    assert critical_paths(table, job_of) == want  # the C's, where built and in id order


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
    assert critical_paths_py(table, job_of) == want == by_the_rule(table, job_of)
