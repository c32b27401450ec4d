"""The critical path of each job (critical.py: critical_paths_py, the reference the C version
native/critical.c is held to) by whole-column operations (numpy) over the attempt rows: each
task's last attempt that ran, its caller among those tasks, then the longest chain below each
caller, level by level from the deepest callers up. tests/test_critical_path.py states the
rule, ties and loops included:
of equal chains the one through the greater task id; a task whose caller never ran starts a
chain of its job; parent links that loop (a corrupt capture) reach no such task, so no path
enters them."""

from __future__ import annotations

from bisect import bisect_left
from itertools import count, islice
from operator import lt
from typing import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from flowinsight.model.ids import job_of_task
from flowinsight.result import NO_NS, AttemptTable, CriticalPath, PathStep

Ints = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]
Times = npt.NDArray[np.int64]


def critical_paths(attempts: AttemptTable, job_of: Callable[[str], str],
                   jobs_of: Mapping[str, str] | None = None) -> tuple[CriticalPath, ...]:
    """Each job's path, jobs in order. `jobs_of`, when given, says what job_of does, read for
    all roots at once instead of calling job_of for each: job_of(t) is jobs_of[t] if t in
    jobs_of, else job_of_task(t)."""
    ran = _last_ran(attempts)
    if ran is None:
        return ()
    ids, rows, starts, ends = ran
    # in ms, as Python's int / 1e6 has them: the int made the nearest double, then divided
    ms: Floats = (ends - starts) / 1e6
    every_row = len(rows) == len(attempts) and bool((rows[1:] > rows[:-1]).all())
    caller = _callers(ids, attempts.parents if every_row else
                      [attempts.parents[r] for r in rows.tolist()])
    value, tail = _chains(ms, caller)
    roots = np.flatnonzero(caller < 0)
    root_ids = [ids[r] for r in roots.tolist()]
    jobs = _jobs(root_ids, job_of, jobs_of)
    codes: dict[str, int] = {}
    job_codes = np.fromiter(map(codes.setdefault, jobs, count()), np.intp, len(jobs))
    start = _best(job_codes, roots, value[roots], len(jobs))  # each job's root, by code
    nodes = attempts.nodes
    paths = []
    for job in sorted(codes):
        task = int(start[codes[job]])
        steps = []
        on_path = []
        while task >= 0:
            row = int(rows[task])
            steps.append(PathStep(nodes[row], ids[task], float(ms[task])))
            on_path.append(task)
            task = int(tail[task])
        begin = int(starts[on_path].min())
        end = int(ends[on_path].max())
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def _last_ran(attempts: AttemptTable) -> tuple[Sequence[str], Ints, Times, Times] | None:
    """The tasks that ran, in task id order: their ids, and the row, start and end of each
    one's last attempt that ran (a start and an end, in order): of the highest number, the
    first such row. None when no attempt ran."""
    ids: Sequence[str] = attempts.task_ids
    n = len(ids)
    if not n:
        return None
    starts = np.asarray(attempts.start_ns, dtype=np.int64)
    ends = np.asarray(attempts.end_ns, dtype=np.int64)
    # rows[i]: the row at place i in task id order (stable: a task's rows keep their order)
    rows: Ints = np.arange(n, dtype=np.intp)
    ascending = np.frombuffer(bytes(map(lt, ids, islice(ids, 1, None))), dtype=np.bool_)
    if not ascending.all():  # equal neighbours (retries), or rows out of task id order
        later = np.flatnonzero(~ascending) + 1
        if any(ids[i - 1] != ids[i] for i in later.tolist()):
            rows = np.array(sorted(range(n), key=ids.__getitem__), dtype=np.intp)
            ids = [ids[r] for r in rows.tolist()]
            ascending = np.frombuffer(bytes(map(lt, ids, islice(ids, 1, None))),
                                      dtype=np.bool_)
            starts, ends = starts[rows], ends[rows]
    ran = (starts != NO_NS) & (ends != NO_NS) & (ends >= starts)
    if ascending.all():  # every task has one row: those that ran
        chosen: Ints = np.flatnonzero(ran)
    else:
        task = np.concatenate(([0], np.cumsum(ascending)))  # each row's task, counted
        candidates = np.flatnonzero(ran)
        numbers = np.asarray(attempts.numbers, dtype=np.int64)[rows[candidates]]
        # by task, then number down (~ keeps order without overflow), then row (stable)
        order = np.lexsort((~numbers, task[candidates]))
        candidates, grouped = candidates[order], task[candidates][order]
        if not len(candidates):
            return None
        chosen = candidates[np.concatenate(([True], grouped[1:] != grouped[:-1]))]
    if not len(chosen):
        return None
    if len(chosen) < n:
        ids = [ids[i] for i in chosen.tolist()]
    return ids, rows[chosen], starts[chosen], ends[chosen]


def _callers(ids: Sequence[str], parents: Sequence[str]) -> Ints:
    """Each task's caller among the tasks (`ids`, in order), -1 where its caller never ran.
    Each parent id is looked up once: most tasks share a few callers."""
    first: dict[str, int] = {}  # parent id -> the first task with it
    code = np.fromiter(map(first.setdefault, parents, count()), np.intp, len(parents))
    found = np.full(len(ids), -1, dtype=np.intp)
    for parent, task in first.items():
        at = bisect_left(ids, parent)
        if at < len(ids) and ids[at] == parent:
            found[task] = at
    caller: Ints = found[code]
    return caller


def _chains(ms: Floats, caller: Ints) -> tuple[Floats, Ints]:
    """Each task's longest chain of executions from it down (its own ms plus its callee's
    chain), and the callee it goes through (-1: a task that called none). Callees that called
    none are compared at once, then the callers level by level from the deepest up. Tasks in
    a loop of parent links get no chain: nothing below a task whose caller never ran is in one."""
    value = ms.copy()
    called = np.flatnonzero(caller >= 0)
    is_caller = np.zeros(len(ms), dtype=np.bool_)
    is_caller[caller[called]] = True
    leaves = called[~is_caller[called]]
    # the best callee that called none, of each caller
    tail = _best(caller[leaves], leaves, ms[leaves], len(ms))
    callers = np.flatnonzero(is_caller)
    depth = _depths(caller, callers)
    if not len(callers):
        return value, tail
    reached = depth >= 0
    callers, depth = callers[reached], depth[reached]
    order = np.argsort(-depth, kind="stable")
    callers, depth = callers[order], depth[order]
    edges = np.flatnonzero(np.diff(depth)) + 1
    for level in np.split(callers, edges):
        # a level's chains: its own ms plus its best callee's chain (its callers are done)
        below = tail[level]
        value[level] = ms[level] + np.where(below >= 0, value[below], 0.0)
        up = level[caller[level] >= 0]
        if not len(up):
            continue
        # their callers' best callee among them (arrays the size of the level, not of the
        # table: a deep chain costs its levels, not its levels times the tasks)
        parents, group = np.unique(caller[up], return_inverse=True)
        best = _best(group.ravel(), up, value[up], len(parents))
        # kept where better than the callee already there (one that called none), ties to
        # the greater id
        had = tail[parents]
        mine = (had < 0) | (value[best] > value[had]) | ((value[best] == value[had])
                                                          & (best > had))
        tail[parents[mine]] = best[mine]
    return value, tail


def _depths(caller: Ints, callers: Ints) -> Ints:
    """Each caller's depth among the callers (0: its caller never ran), -1 for those in or
    below a loop of parent links: by pointer doubling, as many rounds as the depth has bits."""
    position = np.full(len(caller), -1, dtype=np.intp)
    position[callers] = np.arange(len(callers))
    up = caller[callers]
    up = np.where(up >= 0, position[np.maximum(up, 0)], -1)  # the caller's place, or -1
    depth = (up >= 0).astype(np.intp)
    for _ in range(max(len(callers), 1).bit_length() + 1):
        going = np.flatnonzero(up >= 0)
        if not len(going):
            return depth
        ahead = up[going]
        depth[going] += depth[ahead]
        up[going] = up[ahead]
    depth[up >= 0] = -1  # still not at the top: a loop
    return depth


def _best(groups: Ints, members: Ints, values: Floats, size: int) -> Ints:
    """Per group (0 <= group < size), the member with the greatest value, ties to the greater
    member; -1 for a group with none."""
    top = np.full(size, -np.inf)
    np.maximum.at(top, groups, values)
    win = values == top[groups]
    best = np.full(size, -1, dtype=np.intp)
    np.maximum.at(best, groups[win], members[win])
    return best


def _jobs(ids: list[str], job_of: Callable[[str], str],
          jobs_of: Mapping[str, str] | None) -> list[str]:
    """job_of of each id; read from jobs_of and job_of_task, without a call of job_of for
    each, when jobs_of is given."""
    if jobs_of is None:
        return list(map(job_of, ids))
    return list(map(jobs_of.get, ids, map(job_of_task, ids)))
