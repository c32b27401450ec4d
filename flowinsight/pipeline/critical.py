"""The critical path of each job: the chain of calls, from the driver down, whose executions
add up to the most time (a caller waits on its callee, so each step depends on the next)."""

from __future__ import annotations

from array import array
from typing import Callable, Sequence

from flowinsight.pipeline.native import sweep_module
from flowinsight.result import NO_NS, AttemptTable, CriticalPath, PathStep


def critical_paths(attempts: AttemptTable, job_of: Callable[[str], str],
                   jobs_of: dict[str, str] | None = None) -> tuple[CriticalPath, ...]:
    """critical_paths_py's answer, from the C version (native/critical.c) when it is
    built and the rows are in task id order, as the C sweep makes them. `jobs_of`, when given,
    says what job_of does, for the C version to read it without calling job_of: job_of(t) is
    jobs_of[t] if t in jobs_of, else job_of_task(t)."""
    if sweep_module is None:
        return critical_paths_py(attempts, job_of)
    paths = sweep_module.critical(
        _listed(attempts.task_ids), _packed(attempts.numbers), _packed(attempts.start_ns),
        _packed(attempts.end_ns), _listed(attempts.parents), _listed(attempts.nodes), job_of,
        jobs_of)
    if paths is None:  # rows in another order (the Python sweep's)
        return critical_paths_py(attempts, job_of)
    return tuple(CriticalPath(job, tuple(PathStep(*step) for step in steps), total)
                 for job, steps, total in paths)


def _packed(column: Sequence[int]) -> bytes:
    """A time or number column as the C side reads it: native int64. The C sweep's columns
    already are (a view of its bytes): handed over, not copied."""
    if isinstance(column, memoryview) and isinstance(column.obj, bytes):
        return column.obj
    return array("q", column).tobytes()


def _listed(column: Sequence[str]) -> list[str]:
    return column if isinstance(column, list) else list(column)


def critical_paths_py(attempts: AttemptTable,
                      job_of: Callable[[str], str]) -> tuple[CriticalPath, ...]:
    task_ids, numbers = attempts.task_ids, attempts.numbers
    starts, ends, parents, nodes = (attempts.start_ns, attempts.end_ns, attempts.parents,
                                    attempts.nodes)
    last: dict[str, int] = {}  # task -> row of its last attempt that ran: the one that counted
    for row, task_id in enumerate(task_ids):
        began, ended = starts[row], ends[row]  # the attempt's exec_ms is not None
        if began != NO_NS and ended != NO_NS and ended >= began:
            other = last.get(task_id)
            if other is None or numbers[row] > numbers[other]:
                last[task_id] = row

    def exec_ms(task_id: str) -> float:
        row = last[task_id]
        return (ends[row] - starts[row]) / 1e6

    children: dict[str, list[str]] = {}
    roots: dict[str, list[str]] = {}  # job -> the tasks whose caller ran no recorded attempt
    for task_id, row in last.items():
        parent = parents[row]
        children.setdefault(parent, []).append(task_id)
        if parent not in last:
            roots.setdefault(job_of(task_id), []).append(task_id)
    best = _longest_chains(exec_ms, last, children)

    def chain(task_id: str) -> tuple[float, str]:
        found = best.get(task_id)
        return found if found is not None else _leaf(exec_ms, task_id)

    paths = []
    for job in sorted(roots):
        start = max(roots[job], key=lambda t: (chain(t)[0], t))
        steps = []
        node = start
        while node:
            steps.append(PathStep(nodes[last[node]], node, exec_ms(node)))
            node = chain(node)[1]
        begin = min(starts[last[s.task_id]] for s in steps)
        end = max(ends[last[s.task_id]] for s in steps)
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def _leaf(exec_ms: Callable[[str], float], task_id: str) -> tuple[float, str]:
    """A task that called nothing: its own execution is the whole chain."""
    return exec_ms(task_id) + 0.0, ""


def _longest_chains(exec_ms: Callable[[str], float], ran: dict[str, int],
                    children: dict[str, list[str]]) -> dict[str, tuple[float, str]]:
    """Task -> (the longest chain of executions from it down, the next task on that chain),
    for the tasks that called others (a leaf's chain is its own: _leaf, not stored, since most
    tasks are leaves). Iterative post-order from each caller in id order; a corrupt capture
    whose parent links loop is cut at the loop."""
    best: dict[str, tuple[float, str]] = {}
    visiting: set[str] = set()
    for below in children.values():
        below.sort()
    for root in sorted(t for t in children if t in ran):
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
            tail = max(((best[c][0] if c in children else _leaf(exec_ms, c)[0], c)
                        for c in below if c in best or c not in children), default=(0.0, ""))
            best[task_id] = (exec_ms(task_id) + tail[0], tail[1])
    return best
