"""The critical path of each job: the chain of calls, from the driver down, whose executions
add up to the most time (a caller waits on its callee, so each step depends on the next)."""

from __future__ import annotations

from typing import Callable

from flowinsight.result import Attempt, CriticalPath, PathStep


def critical_paths(attempts: tuple[Attempt, ...],
                   job_of: Callable[[str], str]) -> tuple[CriticalPath, ...]:
    last: dict[str, Attempt] = {}
    for a in attempts:  # the last attempt of a task is the one that counted
        began, ended = a.start_ns, a.end_ns  # a.exec_ms is not None, without the division
        if began is not None and ended is not None and ended >= began and (
                a.task_id not in last or a.attempt > last[a.task_id].attempt):
            last[a.task_id] = a
    children: dict[str, list[str]] = {}
    roots: dict[str, list[str]] = {}  # job -> the tasks whose caller ran no recorded attempt
    for task_id, a in last.items():
        children.setdefault(a.parent_task_id, []).append(task_id)
        if a.parent_task_id not in last:
            roots.setdefault(job_of(task_id), []).append(task_id)
    best = _longest_chains(last, children)

    def chain(task_id: str) -> tuple[float, str]:
        found = best.get(task_id)
        return found if found is not None else _leaf(last, task_id)

    paths = []
    for job in sorted(roots):
        start = max(roots[job], key=lambda t: (chain(t)[0], t))
        steps = []
        node = start
        while node:
            a = last[node]
            steps.append(PathStep(a.node, node, a.exec_ms or 0.0))
            node = chain(node)[1]
        begin = min(last[s.task_id].start_ns or 0 for s in steps)
        end = max(last[s.task_id].end_ns or 0 for s in steps)
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def _leaf(last: dict[str, Attempt], task_id: str) -> tuple[float, str]:
    """A task that called nothing: its own execution is the whole chain."""
    return (last[task_id].exec_ms or 0.0) + 0.0, ""


def _longest_chains(last: dict[str, Attempt],
                    children: dict[str, list[str]]) -> dict[str, tuple[float, str]]:
    """Task -> (the longest chain of executions from it down, the next task on that chain),
    for the tasks that called others (a leaf's chain is its own: _leaf, not stored, since most
    tasks are leaves). Iterative post-order from each caller in id order; a corrupt capture
    whose parent links loop is cut at the loop."""
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
            tail = max(((best[c][0] if c in children else _leaf(last, c)[0], c)
                        for c in below if c in best or c not in children), default=(0.0, ""))
            best[task_id] = ((last[task_id].exec_ms or 0.0) + tail[0], tail[1])
    return best
