"""From a Capture to a Result: the steps, in order.

1. select (`--job`) and merge tasks: reduce_events (pipeline/partial.py), per file or per group
   of files when readers work in parallel, the pieces merged in order
2. window (`--since/--until`)   3. node identity (`--group-by`)
4. attempts and timings   5. call flows with stats   6. data flows with latency
7. nodes, actors, jobs   8. failures, coverage, critical path   9. focus (`--focus`)
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, replace

from flowinsight.model.capture import Capture, ReadAccount
from flowinsight.model.events import JobUpdate, TaskType
from flowinsight.model.ids import driver_task_id, is_driver_task, job_of_task
from flowinsight.pipeline.actors import collect_actors
from flowinsight.pipeline.coverage import coverage, coverage_from
from flowinsight.pipeline.critical import critical_paths
from flowinsight.pipeline.failures import actor_failures, note_failures, task_failures
from flowinsight.pipeline.graph import data_flows
from flowinsight.pipeline.identity import NodeKey, key_of, known_modules, node_id, with_module
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.partial import Partial, reduce_events
from flowinsight.pipeline.stats import StatsSum, dist_of_sorted, rate
from flowinsight.pipeline.tasks import Task, is_driver_thread_record
from flowinsight.pipeline.timing import FAILED_CODE, times_of
from flowinsight.pipeline.views import focus, group_by_class, in_window, prune
from flowinsight.result import (
    NO_NS,
    NO_STATS,
    Actor,
    AttemptTable,
    CallFlow,
    Coverage,
    Job,
    Node,
    NodeKind,
    Result,
    Stats,
)



@dataclass(frozen=True, slots=True)
class Options:
    job: str = ""  # keep only this job (hex)
    since_ns: int | None = None  # keep tasks active at or after this time
    until_ns: int | None = None  # keep tasks active at or before this time
    group_by: str = "instance"  # or "class": actor instances collapsed into their class
    focus: str = ""  # a node (glob on its name or id) and its neighbours
    max_nodes: int = 0  # for drawing: above this, collapse instances into classes, then prune


class _Identity:
    """Task id -> node id, remembering the key of every node it hands out. Each task's answer
    is worked out once, the first time it is asked for (every step asks again for the same
    tasks), and each node id is one string shared by all its tasks."""

    def __init__(self, tasks: dict[str, Task], multi_job: bool, classes: dict[str, str]) -> None:
        self.tasks = tasks
        self.multi_job = multi_job
        self.classes = classes  # actor id -> class, when grouping by class
        self.modules = known_modules(tasks)
        self.keys: dict[str, NodeKey] = {}
        self.cache: dict[str, str] = {}  # task id -> node id, for every task asked about
        self._ids: dict[str, str] = {}
        # Tasks of the same shape (function, type, actor, job) are one node: worked out once.
        # The function is keyed by identity (records share them, and keep them alive).
        self.shapes: dict[tuple[int, TaskType, str, str], str] = {}
        self.known = self.cache.get  # a task's node if asked for before: no call of self

    def __call__(self, task_id: str) -> str:
        nid = self.cache.get(task_id)
        if nid is not None:
            return nid
        task = self.tasks.get(task_id)
        shape = None
        # without a type or an actor the id itself is read (key_of): no shape then
        if task is not None and task.task_type is not None and (
                task.actor_id or task.task_type in _NO_ACTOR):
            shape = (id(task.function), task.task_type, task.actor_id, task.job_id)
            nid = self.shapes.get(shape)
            if nid is not None:
                self.cache[task_id] = nid
                return nid
        key = key_of(task_id, task)
        if task is not None:
            key = with_module(key, self.modules)
        if self.classes and key.actor_id:
            key = group_by_class(key, self.classes)
        nid = node_id(key, self.multi_job)
        nid = self.cache[task_id] = self._ids.setdefault(nid, nid)
        self.keys.setdefault(nid, key)
        if shape is not None:
            self.shapes[shape] = nid
        return nid


_NO_ACTOR = (TaskType.NORMAL, TaskType.DRIVER)  # kinds whose node never names an actor


def analyze(capture: Capture, options: Options = Options()) -> Result:
    """The whole analysis of a capture held in memory."""
    return analyze_partial(reduce_events(capture.events, options.job), capture.account, options)


def analyze_partial(reduced: Partial, account: ReadAccount, options: Options = Options(),
                    consume: bool = False) -> Result:
    """The analysis of events already reduced (by reduce_events, or by readers that reduce file
    by file and merge), with the account of what was read. `options.job` must be the job they
    were reduced for. `reduced` is only read, unless `consume`: then each task record is let go
    as soon as its attempts are worked out (the result's attempts take the place of the records
    instead of adding to them), and it cannot be analysed again."""
    consume = consume and not options.max_nodes  # drawings may analyse it again, by class
    tasks = _selected_tasks(reduced.tasks, options)
    if consume and tasks is not reduced.tasks:
        reduced.tasks = {}  # the selection holds every record still needed
    task_count = len(tasks)
    job_ids = {t.job_id for t in tasks.values()} | reduced.job_ids
    actor_updates = reduced.actor_updates
    classes = {}
    if options.group_by == "class":
        classes = {a.id: a.class_name for a in collect_actors(
            actor_updates, tasks.values(), {t.actor_id for t in tasks.values() if t.actor_id}
        ).values()}
    node_of = _Identity(tasks, len(job_ids - {""}) > 1, classes)
    sources = tuple(sorted(reduced.sources))
    facts = _task_facts(tasks, node_of, account, "export_api" in sources)
    puts, gets = reduced.puts, reduced.gets
    flows = data_flows(puts, gets, node_of)

    actor_ids = {k.actor_id for k in node_of.keys.values() if k.actor_id}
    actors = collect_actors(actor_updates, tasks.values(), actor_ids)
    sweep = _sweep(tasks, node_of, facts.drivers, consume)
    attempts = sweep.attempts
    if classes:
        actors = _class_actors(actors, node_of)
    failures = tuple(
        task_failures(attempts.failed())
        + [f for f in actor_failures(actor_updates) if f.node in actors or not classes]
        + note_failures(reduced.failure_notes, attempts,
                        lambda job: node_of(driver_task_id(job)))
    )
    cover = facts.coverage
    jobs_of = facts.jobs_of
    result = Result(
        jobs=_jobs(reduced.job_updates, facts.job_counts),
        nodes=_nodes(node_of, actors, facts, sweep.node_stats),
        actors=tuple(actors[a] for a in sorted(actors)),
        call_flows=sweep.calls,
        data_flows=flows,
        failure_notes=tuple(reduced.failure_notes),
        read=account,
        tasks=task_count,
        sources=sources,
        has_object_events=bool(puts or gets),
        attempts=attempts,
        failures=failures,
        coverage=cover,
        critical_paths=critical_paths(
            attempts, lambda t: jobs_of[t] if t in jobs_of else job_of_task(t)),
        warnings=_warnings(cover, bool(puts or gets), account, task_count > 0),
    )
    if options.focus:
        result = focus(result, options.focus)
    if options.max_nodes and len(result.nodes) > options.max_nodes:
        if options.group_by == "instance" and any(n.actor_id for n in result.nodes):
            grouped = analyze_partial(reduced, account, replace(options, group_by="class"))
            note = (f"collapsed for drawing: {len(result.actors)} actor instances into "
                    f"{len(grouped.actors)} classes")
            result = replace(grouped, warnings=(*grouped.warnings, note))
        result = prune(result, options.max_nodes)
    return result


def _selected_tasks(tasks: dict[str, Task], options: Options) -> dict[str, Task]:
    """The tasks in the --since/--until window, without driver-thread records; the table
    itself (not a copy of it, millions of entries) when that is all of them."""
    since, until = options.since_ns, options.until_ns
    window = since is not None or until is not None
    dropped = {tid for tid, t in tasks.items()
               if (t.task_type is None and is_driver_thread_record(t))
               or (window and not in_window(t, since, until))}
    if not dropped:
        return tasks
    return {tid: t for tid, t in tasks.items() if tid not in dropped}


@dataclass(slots=True)
class _Facts:
    """What the nodes, jobs, coverage and critical path need of the task records, gathered in
    one pass before the records are let go; every task's node, and its caller's, is worked out
    on the way (in table order: a node's key is the one its first task gave it)."""

    received: dict[str, int]  # node -> tasks it received (drivers excluded)
    defined: set[str]  # nodes with a defined task
    languages: dict[str, str]  # node -> language of its first task that names one
    drivers: set[str]  # driver task ids
    job_counts: Counter[str]  # job -> tasks (drivers excluded)
    jobs_of: dict[str, str]  # task -> job, where it is not the job in the task's id
    coverage: Coverage


def _task_facts(tasks: dict[str, Task], node_of: _Identity, account: ReadAccount,
                has_export: bool) -> _Facts:
    """_task_facts_py's answer, from the C version (pipeline/sweep/facts.c) when it is built."""
    if sweep_module is None:
        return _task_facts_py(tasks, node_of, account, has_export)
    received, defined, languages, drivers, job_counts, jobs_of, counts = sweep_module.facts(
        tasks, node_of.cache, node_of.shapes, node_of, _NO_ACTOR, TaskType.DRIVER, has_export)
    return _Facts(received, defined, languages, drivers, Counter(job_counts), jobs_of,
                  coverage_from(counts, account.files))


def _task_facts_py(tasks: dict[str, Task], node_of: _Identity, account: ReadAccount,
                   has_export: bool) -> _Facts:
    received: dict[str, int] = {}
    defined: set[str] = set()
    languages: dict[str, str] = {}
    drivers = set()
    job_counts: Counter[str] = Counter()
    jobs_of: dict[str, str] = {}
    known = node_of.known
    for tid, task in tasks.items():
        parent = task.parent_task_id
        if parent and known(parent) is None:  # a caller may have no record of its own
            node_of(parent)
        nid = known(tid) or node_of(tid)
        if task.task_type is not None:
            defined.add(nid)
        if task.language and nid not in languages:
            languages[nid] = task.language
        job = task.job_id
        if is_driver_task(tid):
            drivers.add(tid)
        else:
            received[nid] = received.get(nid, 0) + 1
            job_counts[job] += 1
        if job != job_of_task(tid):
            jobs_of[tid] = job
    return _Facts(received, defined, languages, drivers, job_counts, jobs_of,
                  coverage(tasks, account.files, has_export))


@dataclass(slots=True)
class _Edge:
    count: int  # calls: tasks submitted along the edge
    stats: StatsSum  # of the callees' attempts
    submits: list[float]  # submission times, ms


@dataclass(frozen=True, slots=True)
class _Swept:
    attempts: AttemptTable  # by task id, then attempt number
    node_stats: dict[str, Stats]  # of the attempts of each node's tasks (drivers excluded)
    calls: tuple[CallFlow, ...]


def _sweep(tasks: dict[str, Task], node_of: _Identity, drivers: set[str],
           consume: bool) -> _Swept:
    """_sweep_py's answer, from the C sweep (pipeline/sweep/sweep.c) when it is built."""
    if sweep_module is None:
        return _sweep_py(tasks, sorted(tasks), node_of, drivers, consume)
    (task_ids, numbers, nodes, parents, statuses, errors, ray_nodes, workers, pids, pendings,
     starts, ends, by_node, edges) = sweep_module.sweep(tasks, node_of.cache, drivers, consume)
    table = AttemptTable(task_ids, _int64s(numbers), nodes, parents, statuses, errors,
                         ray_nodes, workers, pids, _int64s(pendings), _int64s(starts),
                         _int64s(ends))
    node_stats = {node: Stats(n_tasks, n_attempts, failures, retries,
                              dist_of_sorted(_doubles(execs)), dist_of_sorted(_doubles(queues)))
                  for node, (n_tasks, n_attempts, failures, retries, execs, queues)
                  in by_node.items()}
    calls = tuple(CallFlow(s, t, count, Stats(n_tasks, n_attempts, failures, retries,
                                              dist_of_sorted(_doubles(execs)),
                                              dist_of_sorted(_doubles(queues))),
                           rate(submits))
                  for (s, t), (count, n_tasks, n_attempts, failures, retries, execs, queues,
                               submits) in sorted(edges.items()))
    return _Swept(table, node_stats, calls)


def _int64s(packed: bytes) -> memoryview[int]:
    return memoryview(packed).cast("q")


def _doubles(packed: bytes) -> memoryview[float]:
    return memoryview(packed).cast("d")


def _sweep_py(tasks: dict[str, Task], order: list[str], node_of: _Identity, drivers: set[str],
              consume: bool) -> _Swept:
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
    return _Swept(table, {node: sums.stats() for node, sums in by_node.items()}, calls)


def _frozen(column: array[int]) -> memoryview:
    return memoryview(column).toreadonly()


def _nodes(node_of: _Identity, actors: dict[str, Actor], facts: _Facts,
           node_stats: dict[str, Stats]) -> tuple[Node, ...]:
    for actor in actors.values():  # an actor whose creation the capture lacks is still a node
        node_of.keys.setdefault(actor.id, NodeKey(NodeKind.ACTOR, actor.job_id, actor.id, "", ""))
    nodes = []
    for nid, key in node_of.keys.items():
        owner = actors.get(key.actor_id)
        nodes.append(Node(
            id=nid,
            kind=key.kind,
            name=(owner.class_name if owner else "") if key.kind is NodeKind.ACTOR else key.name,
            module=key.module,
            actor_id=key.actor_id,
            job_id=key.job_id,
            language=facts.languages.get(nid, "") or (owner.language if owner else ""),
            calls=facts.received.get(nid, 0),
            inferred=nid not in facts.defined and key.kind is not NodeKind.DRIVER,
            stats=node_stats.get(nid, NO_STATS),
        ))
    return tuple(sorted(nodes, key=lambda n: n.id))


def _class_actors(actors: dict[str, Actor], node_of: _Identity) -> dict[str, Actor]:
    """With --group-by class, one actor entry per class, named after it."""
    out: dict[str, Actor] = {}
    for key in node_of.keys.values():
        if key.actor_id and key.actor_id not in out:
            members = [a for a in actors.values() if node_of.classes.get(a.id) and
                       group_by_class(NodeKey(NodeKind.ACTOR, a.job_id, a.id, "", ""),
                                      node_of.classes).actor_id == key.actor_id]
            first = members[0] if members else None
            out[key.actor_id] = Actor(key.actor_id, first.class_name if first else key.actor_id,
                                      f"{len(members)} instances" if len(members) > 1 else
                                      (first.actor_name if first else ""), key.job_id,
                                      first.language if first else "", "", False)
    return out


def _jobs(updates: list[JobUpdate], counts: Counter[str]) -> tuple[Job, ...]:
    info: dict[str, JobUpdate] = {}
    for e in updates:
        old = info.get(e.job_id)
        if old is None or (e.is_dead and not old.is_dead) or (e.end_ms and not old.end_ms):
            info[e.job_id] = e
    out = []
    for job_id in sorted(set(counts) | set(info)):
        j = info.get(job_id)
        out.append(Job(job_id, j.entrypoint if j else "", j.driver_pid if j else None,
                       j.start_ms if j else None, j.end_ms if j else None, counts[job_id]))
    return tuple(out)


def _warnings(cover: Coverage, has_objects: bool, read: ReadAccount,
              has_tasks: bool) -> tuple[str, ...]:
    out = []
    if not cover.complete and cover.tasks:
        missing = [f"{n} {what}" for n, what in (
            (cover.without_definition, "without a definition"),
            (cover.without_parent, "whose caller was never recorded"),
            (cover.without_final_state, "attempts without a final state"),
            (cover.without_execution, "attempts whose execution was not recorded"),
            (cover.truncated_files, "truncated files"),
            (cover.skipped_lines, "skipped lines"),
        ) if n]
        out.append(f"incomplete capture: coverage {cover.ratio:.1%} of {cover.tasks} task "
                   f"records ({', '.join(missing)}); the graph may miss calls")
    if read.skipped_total:
        out.append(f"{read.skipped_total} line(s) skipped: " + ", ".join(
            f"{r} {n}" for r, n in read.skipped_by_reason().items()))
    if has_tasks and not has_objects:
        out.append("no object events: data flow is unknown (stock Ray writes none; "
                   "record them with flowinsight.recorder)")
    return tuple(out)
