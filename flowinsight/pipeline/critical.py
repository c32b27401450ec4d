"""The critical path of each job: the chain of calls, from the driver down, whose executions
add up to the most time (a caller waits on its callee, so each step depends on the next)."""

from __future__ import annotations

from array import array
from itertools import compress
from operator import itemgetter, not_, sub
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
    """Each job's path, from the rows in any order: whole-column operations, one pass in row
    order to gather each caller's callees, then a post-order over the callers only (most tasks
    call none: each caller's max() covers them at once). tests/test_critical_path.py states the
    rule it keeps, ties and loops included."""
    starts, ends = attempts.start_ns, attempts.end_ns
    durations = list(map(sub, ends, starts))  # each row's, in ns
    last = _last_ran(attempts, durations)  # task -> row of its last attempt that ran
    if not last:
        return ()
    # a task that called none is compared by its duration in ns, which orders as its ms do
    # below 2**52 ns (52 days: ns apart, different doubles); else by its ms
    ranks: list[int] | list[float] = durations
    scale = 1e6
    if max(durations) >= 1 << 52:
        ranks, scale = [d / 1e6 for d in durations], 1.0
    rows = list(last.values())
    # caller -> (rank, task) of its callees that ran: gathered in one pass in row order, the
    # ranks at hand for each caller's max() (not looked up per task all over memory)
    children: dict[str, list[tuple[float, str]]] = {}
    for pair, parent in zip(zip(map(ranks.__getitem__, rows), last),
                            map(attempts.parents.__getitem__, rows)):
        below = children.get(parent)
        if below is None:
            children[parent] = [pair]
        else:
            below.append(pair)
    # the callers that called callers (whose callees are looked at one by one)
    nested = {attempts.parents[last[t]] for t in children if t in last}
    best = _chains(last, durations, children, nested, scale)
    if best is None:  # the parent links loop (a corrupt capture): cut where the rule cuts
        best = _longest_chains(lambda t: durations[last[t]] / 1e6, last,
                               {p: [t for _, t in below] for p, below in children.items()})
    roots: dict[str, list[tuple[float, str]]] = {}  # job -> the tasks whose caller ran none
    mixed: set[str] = set()  # the jobs with a caller among them
    for parent, below in children.items():
        if parent not in last:
            for pair in below:
                job = job_of(pair[1])
                roots.setdefault(job, []).append(pair)
                if parent in nested:
                    mixed.add(job)
    paths = []
    for job in sorted(roots):
        node = _longest(roots[job], best, scale, job in mixed)[1]
        steps = []
        while node:
            row = last[node]
            steps.append(PathStep(attempts.nodes[row], node, durations[row] / 1e6))
            found = best.get(node)
            node = found[1] if found is not None else ""
        on_path = [last[s.task_id] for s in steps]
        begin = min(map(starts.__getitem__, on_path))
        end = max(map(ends.__getitem__, on_path))
        paths.append(CriticalPath(job, tuple(steps), (end - begin) / 1e6))
    return tuple(paths)


def _last_ran(attempts: AttemptTable, durations: list[int]) -> dict[str, int]:
    """Task -> the row of its last attempt that ran (a start and an end, in order): of the
    highest number, the first such row. Whole-column operations where every row ran, as most
    do; row by row only where some did not."""
    task_ids, numbers, starts, ends = (attempts.task_ids, attempts.numbers, attempts.start_ns,
                                       attempts.end_ns)
    rows: Sequence[int] = range(len(task_ids))
    ids: Sequence[str] = task_ids
    if NO_NS in starts or NO_NS in ends or (durations and min(durations) < 0):
        ran = [began != NO_NS and ended != NO_NS and ended >= began
               for began, ended in zip(starts, ends)]
        rows, ids = list(compress(rows, ran)), list(compress(task_ids, ran))
    last = dict(zip(reversed(ids), reversed(rows)))  # each task's first row that ran
    if len(last) < len(rows) and any(numbers):  # some ran more than once, numbered
        if min(numbers) < 0:  # (never from Ray): the rule row by row
            last = {}
            for row in rows:
                other = last.get(task_ids[row])
                if other is None or numbers[row] > numbers[other]:
                    last[task_ids[row]] = row
        else:  # a later row takes over by a higher number only: rows numbered 0 never do
            for row in compress(rows, map(numbers.__getitem__, rows)):
                task_id = task_ids[row]
                if numbers[row] > numbers[last[task_id]]:
                    last[task_id] = row
    return last


def _chains(last: dict[str, int], durations: list[int],
            children: dict[str, list[tuple[float, str]]], nested: set[str],
            scale: float) -> dict[str, tuple[float, str]] | None:
    """_longest_chains' answer where the parent links do not loop (None where they do): a
    post-order over the callers only, each one's callees compared at once (_longest)."""
    best: dict[str, tuple[float, str]] = {}
    callers = [t for t in children if t in last]
    working: set[str] = set()  # callers whose callees are being worked out
    for root in callers:
        if root in best:
            continue
        stack = [root]
        while stack:
            task_id = stack[-1]
            if task_id in best:  # (a callee of two callers, done from the other)
                stack.pop()
                continue
            if task_id not in working and task_id in nested:
                working.add(task_id)
                below = list(map(_task, children[task_id]))
                pending = [c for c in compress(below, map(children.__contains__, below))
                           if c not in best]
                if pending:
                    if not working.isdisjoint(pending):
                        return None  # a loop
                    stack += pending
                    continue
            stack.pop()
            working.discard(task_id)
            tail = _longest(children[task_id], best, scale, task_id in nested)
            best[task_id] = (durations[last[task_id]] / 1e6 + tail[0], tail[1])
    return best


def _longest(tasks: list[tuple[float, str]], best: dict[str, tuple[float, str]],
             scale: float, mixed: bool) -> tuple[float, str]:
    """max((the longest chain from t down, t)) over the (rank, t) of `tasks`: one that called
    others has its chain in `best`; one that did not is its own execution (_leaf), its rank
    its duration in ns / `scale` ms. Ties go to the greater id, as max() has it. `mixed`: some
    of `tasks` may have called others."""
    if mixed:  # (a driver's callees: often most of the tasks) sorted out by whole lists
        ids = list(map(_task, tasks))
        called = list(map(best.__contains__, ids))
        found = [(best[t][0], t) for t in compress(ids, called)]
        leaves = list(compress(tasks, map(not_, called)))
        if leaves:
            rank, task = max(leaves)
            found.append((rank / scale + 0.0, task))
        return max(found)
    rank, task = max(tasks)
    return rank / scale + 0.0, task


_task = itemgetter(1)  # of a (rank, task) pair


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
