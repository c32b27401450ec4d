"""The sweep over the task records: every attempt as a row of the result's AttemptTable, and
the stats of every node and call edge summed on the way (sweep_py; in C within the facts' pass
when built: facts.facts_and_sweep, native/sweep.c)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import TYPE_CHECKING, Iterable

from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.stats import StatsSum, dist_of_sorted, rate, rate_between
from flowinsight.pipeline.tasks import Task
from flowinsight.pipeline.timing import FAILED_CODE, times_of
from flowinsight.result import NO_NS, AttemptTable, CallFlow, Dist, Stats

if TYPE_CHECKING:
    from flowinsight.pipeline._sweep import SweptColumns


@dataclass(slots=True)
class _Edge:
    count: int  # calls: tasks submitted along the edge
    stats: StatsSum  # of the callees' attempts
    submits: list[float]  # submission times, ms


@dataclass(frozen=True, slots=True)
class Swept:
    attempts: AttemptTable  # by task id, then attempt number
    node_stats: dict[str, Stats]  # of the attempts of each node's tasks (drivers excluded)
    calls: tuple[CallFlow, ...]


def swept_of(columns: SweptColumns) -> Swept:
    """The Swept of what the C sweep gives (its columns and sums) within the C facts' pass
    (facts.facts_and_sweep)."""
    (task_ids, numbers, nodes, parents, statuses, errors, ray_nodes, workers, pids, pendings,
     starts, ends, by_node, edges) = columns
    table = AttemptTable(task_ids, _int64s(numbers), nodes, parents, statuses, errors,
                         ray_nodes, workers, pids, _int64s(pendings), _int64s(starts),
                         _int64s(ends))
    # A node whose attempts all went to one edge has that edge's very bytes (sweep.c): its
    # distribution worked out once, by the object (`edges` keeps them all alive meanwhile).
    dists: dict[int, Dist | None] = {}

    def dist_of(packed: bytes) -> Dist | None:
        key = id(packed)
        if key not in dists:
            dists[key] = dist_of_sorted(_doubles(packed))
        return dists[key]

    # the submissions' span (min(), max()) worked out in C as they were summed
    calls = tuple(CallFlow(s, t, count, Stats(n_tasks, n_attempts, failures, retries,
                                              dist_of(execs), dist_of(queues)),
                           rate(submits) if span is None else
                           rate_between(len(submits), *span))
                  for (s, t), (count, n_tasks, n_attempts, failures, retries, execs, queues,
                               submits, span) in sorted(edges.items()))
    node_stats = {node: Stats(n_tasks, n_attempts, failures, retries, dist_of(execs),
                              dist_of(queues))
                  for node, (n_tasks, n_attempts, failures, retries, execs, queues)
                  in by_node.items()}
    return Swept(table, node_stats, calls)


def _int64s(packed: bytes) -> memoryview[int]:
    return memoryview(packed).cast("q")


def _doubles(packed: bytes) -> memoryview[float]:
    return memoryview(packed).cast("d")


# One attempt's row: (task id, number, node, caller task, status code, Ray node, worker, pid,
# pending ns, start ns, end ns, (error type, error message) or None)
_Row = tuple[str, int, str, str, int, str, str, "int | None", int, int, int,
             "tuple[str, str] | None"]


class _NotNamed(Exception):
    """A task or caller the namer has not named yet (sweep_py)."""


def sweep_py(tasks: dict[str, Task], order: list[str], node_of: NodeNamer,
             drivers: set[str], consume: bool) -> Swept:
    """Each task's attempts, in the order of `order` (every task id of `tasks`: task id order,
    sorted(tasks)), and the call flows with their stats: one call per submitted task (a retry
    is an attempt, not a new call), with the stats of the callees' attempts and the rate of
    submissions along each edge. With `consume`, the records are dropped from `tasks` once
    done (no later step reads them).

    The records are read in table order, the order they lie in memory (in id order each is a
    wait on memory: that doubled the pass), and their rows put in id order after. The sums
    (durations sorted at the end, counts, submission times' span) do not depend on the order;
    the namer's answers would, for a task it is asked about for the first time: where the
    namer has not named every task already (facts did, before), the table is read in `order`."""
    table = tasks.items() if len(order) == len(tasks) else ((t, tasks[t]) for t in order)
    try:
        rows_of, by_node, edges = _sweep_records(table, node_of, drivers, True)
    except _NotNamed:
        rows_of, by_node, edges = _sweep_records(((t, tasks[t]) for t in order), node_of,
                                                 drivers, False)
    if consume:
        for tid in order:
            del tasks[tid]
    rows = list(chain.from_iterable(map(rows_of.get, order, repeat(()))))
    del rows_of
    if rows:
        (task_ids, numbers, nodes, parents, statuses, ray_nodes, workers, pids, pendings,
         starts, ends, errors) = zip(*rows)
    else:
        task_ids = numbers = nodes = parents = statuses = ray_nodes = workers = pids = \
            pendings = starts = ends = errors = ()
    del rows
    attempts = AttemptTable(
        list(task_ids), _frozen(array("q", numbers)), list(nodes), list(parents),
        bytes(statuses), dict(compress(enumerate(errors), errors)), list(ray_nodes),
        list(workers), list(pids), _frozen(array("q", pendings)), _frozen(array("q", starts)),
        _frozen(array("q", ends)))
    calls = tuple(CallFlow(s, t, e.count, e.stats.stats(), rate(e.submits))
                  for (s, t), e in sorted(edges.items()))
    return Swept(attempts, {node: sums.stats() for node, sums in by_node.items()}, calls)


def _sweep_records(table: Iterable[tuple[str, Task]], node_of: NodeNamer, drivers: set[str],
                   named: bool) -> tuple[dict[str, tuple[_Row, ...]], dict[str, StatsSum],
                                         dict[tuple[str, str], _Edge]]:
    """Each task's rows, and the sums of each node and call edge, in the order of `table`.
    `named`: the namer must have named every task and caller (else _NotNamed, before it is
    asked anything)."""
    rows_of: dict[str, tuple[_Row, ...]] = {}
    by_node: dict[str, StatsSum] = {}
    edges: dict[tuple[str, str], _Edge] = {}
    known = node_of.known
    for tid, task in table:
        parent = task.parent_task_id
        edge = None
        node = None
        if parent:
            caller = known(parent)
            if caller is None:
                if named:
                    raise _NotNamed(parent)
                caller = node_of(parent)
            node = known(tid)
            if node is None:
                if named:
                    raise _NotNamed(tid)
                node = node_of(tid)
            key = (caller, node)
            edge = edges.get(key)
            if edge is None:
                edge = edges[key] = _Edge(1, StatsSum(), [])
            else:
                edge.count += 1
        raws = task.attempts
        first_pending = None
        if raws:
            if len(raws) > 1:
                raws = tuple(sorted(raws, key=lambda a: a.number))
            if node is None:
                node = known(tid)
                if node is None:
                    if named:
                        raise _NotNamed(tid)
                    node = node_of(tid)
            mine = None
            if tid not in drivers:
                mine = by_node.get(node)
                if mine is None:
                    mine = by_node[node] = StatsSum()
                mine.tasks += 1
            sums = (mine, edge.stats) if mine is not None and edge is not None else \
                (mine,) if mine is not None else (edge.stats,) if edge is not None else ()
            if edge is not None:
                edge.stats.tasks += 1
            rows = []
            for raw in raws:
                pending, start, end, code = times_of(raw)
                number = raw.number
                rows.append((tid, number, node, parent, code, raw.node_id, raw.worker_id,
                             raw.worker_pid, pending, start, end,
                             (raw.error_type, raw.error_message)
                             if raw.error_type or raw.error_message else None))
                if pending > 0 and (first_pending is None or pending < first_pending):
                    first_pending = pending
                exec_ms = queue_ms = None
                if start != NO_NS:
                    if end != NO_NS and end >= start:
                        exec_ms = (end - start) / 1e6
                    if pending != NO_NS and start >= pending:
                        queue_ms = (start - pending) / 1e6
                failed = code == FAILED_CODE
                retry = number > 0
                for summed in sums:  # StatsSum.add, inline
                    summed.attempts += 1
                    summed.failures += failed
                    summed.retries += retry
                    if exec_ms is not None:
                        summed.execs.append(exec_ms)
                    if queue_ms is not None:
                        summed.queues.append(queue_ms)
            rows_of[tid] = tuple(rows)
        if edge is not None:
            submitted = task.submit_ms
            if submitted is None and first_pending is not None:
                submitted = first_pending / 1e6
            if submitted is not None:
                edge.submits.append(submitted)
    return rows_of, by_node, edges


def _frozen(column: array[int]) -> memoryview:
    return memoryview(column).toreadonly()
