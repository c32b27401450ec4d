"""The critical path of each job: the chain of calls, from the driver down, whose executions
add up to the most time (a caller waits on its callee, so each step depends on the next)."""

from __future__ import annotations

from collections import defaultdict

from flowinsight.result import Attempt, CriticalPath, PathStep


def critical_paths(attempts: tuple[Attempt, ...], job_of: dict[str, str]) -> tuple[CriticalPath, ...]:
    last: dict[str, Attempt] = {}
    exec_of: dict[str, float] = {}  # the exec_ms of each task's last attempt
    for a in attempts:  # the last attempt of a task is the one that counted
        ms = a.exec_ms
        if ms is not None and (a.task_id not in last or a.attempt > last[a.task_id].attempt):
            last[a.task_id] = a
            exec_of[a.task_id] = ms
    children: dict[str, list[str]] = defaultdict(list)
    for task_id, a in last.items():
        children[a.parent_task_id].append(task_id)
    best = _longest_chains(exec_of, children)
    paths = []
    for job in sorted(set(job_of.get(t, "") for t in last)):
        roots = [t for t in last if job_of.get(t) == job and last[t].parent_task_id not in last]
        if not roots:
            continue
        start = max(roots, key=lambda t: (best[t][0], t))
        steps = []
        node = start
        while node:
            a = last[node]
            steps.append(PathStep(a.node, node, a.exec_ms or 0.0))
            node = best[node][1]
        begin = min(last[s.task_id].start_ns or 0 for s in steps)
        end = max(last[s.task_id].end_ns or 0 for s in steps)
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def _longest_chains(exec_of: dict[str, float],
                    children: dict[str, list[str]]) -> dict[str, tuple[float, str]]:
    """Task -> (the longest chain of executions from it down, the next task on that chain).
    Iterative post-order; a corrupt capture whose parent links loop is cut at the loop."""
    best: dict[str, tuple[float, str]] = {}
    visiting: set[str] = set()
    for below in children.values():
        below.sort()
    kids = children
    no_kids: list[str] = []
    for root in sorted(exec_of):
        stack = [(root, False)]
        while stack:
            task_id, done = stack.pop()
            if task_id in best:
                continue
            below = kids.get(task_id, no_kids)
            if not below:  # a leaf: its own execution is the whole chain
                best[task_id] = ((exec_of[task_id] or 0.0) + 0.0, "")
                continue
            if not done:
                if task_id in visiting:
                    continue
                visiting.add(task_id)
                stack.append((task_id, True))
                stack.extend((c, False) for c in below if c not in best)
                continue
            tail = max(((best[c][0], c) for c in below if c in best), default=(0.0, ""))
            best[task_id] = ((exec_of[task_id] or 0.0) + tail[0], tail[1])
    return best
