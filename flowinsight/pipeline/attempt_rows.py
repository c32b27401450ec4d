"""The sweep over the task records: every attempt as a row of the result's AttemptTable, and
the stats of every node and call edge summed on the way (native/sweep.c when built;
sweep_py is the reference)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.native import sweep_module
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


def sweep(tasks: dict[str, Task], node_of: NodeNamer, drivers: set[str],
          consume: bool) -> Swept:
    """sweep_py's answer, from the C sweep (native/sweep.c) when it is built."""
    if sweep_module is None:
        return sweep_py(tasks, sorted(tasks), node_of, drivers, consume)
    return swept_of(sweep_module.sweep(tasks, node_of.cache, drivers, consume))


def swept_of(columns: SweptColumns) -> Swept:
    """The Swept of what the C sweep gives (its columns and sums), by sweep.c itself or
    within the C facts' pass (facts.facts_and_sweep)."""
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


def sweep_py(tasks: dict[str, Task], order: list[str], node_of: NodeNamer,
             drivers: set[str], consume: bool) -> Swept:
    """Each task's attempts, in task id order, and the call flows with their stats: one call
    per submitted task (a retry is an attempt, not a new call), with the stats of the callees'
    attempts and the rate of submissions along each edge. With `consume`, each record is
    dropped from `tasks` once done (no later step reads it)."""
    task_ids: list[str] = []
    numbers = array("q")
    nodes: list[str] = []
    parents: list[str] = []
    statuses = bytearray()
    errors: dict[int, tuple[str, str]] = {}
    ray_nodes: list[str] = []
    workers: list[str] = []
    pids: list[int | None] = []
    pendings, starts, ends = array("q"), array("q"), array("q")
    by_node: dict[str, StatsSum] = {}
    edges: dict[tuple[str, str], _Edge] = {}
    known = node_of.known
    for tid in order:
        task = tasks[tid]
        parent = task.parent_task_id
        edge = None
        if parent:
            key = (known(parent) or node_of(parent), known(tid) or node_of(tid))
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
            node = known(tid) or node_of(tid)
            mine = None
            if tid not in drivers:
                mine = by_node.get(node)
                if mine is None:
                    mine = by_node[node] = StatsSum()
                mine.tasks += 1
            if edge is not None:
                edge.stats.tasks += 1
            for raw in raws:
                pending, start, end, code = times_of(raw)
                if raw.error_type or raw.error_message:
                    errors[len(task_ids)] = (raw.error_type, raw.error_message)
                task_ids.append(tid)
                numbers.append(raw.number)
                nodes.append(node)
                parents.append(parent)
                statuses.append(code)
                ray_nodes.append(raw.node_id)
                workers.append(raw.worker_id)
                pids.append(raw.worker_pid)
                pendings.append(pending)
                starts.append(start)
                ends.append(end)
                if pending > 0 and (first_pending is None or pending < first_pending):
                    first_pending = pending
                exec_ms = queue_ms = None
                if start != NO_NS:
                    if end != NO_NS and end >= start:
                        exec_ms = (end - start) / 1e6
                    if pending != NO_NS and start >= pending:
                        queue_ms = (start - pending) / 1e6
                failed = code == FAILED_CODE
                if mine is not None:
                    mine.add(raw.number, failed, exec_ms, queue_ms)
                if edge is not None:
                    edge.stats.add(raw.number, failed, exec_ms, queue_ms)
        if edge is not None:
            submitted = task.submit_ms
            if submitted is None and first_pending is not None:
                submitted = first_pending / 1e6
            if submitted is not None:
                edge.submits.append(submitted)
        if consume:
            del tasks[tid]
    # the lists are handed over, not copied: nothing else holds them
    table = AttemptTable(task_ids, _frozen(numbers), nodes, parents, bytes(statuses), errors,
                         ray_nodes, workers, pids, _frozen(pendings), _frozen(starts),
                         _frozen(ends))
    calls = tuple(CallFlow(s, t, e.count, e.stats.stats(), rate(e.submits))
                  for (s, t), e in sorted(edges.items()))
    return Swept(table, {node: sums.stats() for node, sums in by_node.items()}, calls)


def _frozen(column: array[int]) -> memoryview:
    return memoryview(column).toreadonly()
