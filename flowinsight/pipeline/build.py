"""From a Capture to a Result: the steps, in order.

1. select (`--job`) and merge tasks: reduce_events (pipeline/partial.py), per file or per group
   of files when readers work in parallel, the pieces merged in order
2. window (`--since/--until`)
3. node identity (`--group-by`; naming.py) and the facts of every task, coverage (facts.py)
4. data flows with latency (graph.py), actors (actors.py)
5. the sweep: attempts and timings, call flows and node stats (attempt_rows.py)
6. nodes, jobs, failures, critical path (critical.py), call sites (call_sites.py)
7. focus (`--focus`)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence

from flowinsight.model.capture import Capture, ReadAccount
from flowinsight.model.events import JobUpdate, TaskType
from flowinsight.model.ids import driver_task_id, job_of_task
from flowinsight.pipeline.actors import actor_task_facts, collect_actors
from flowinsight.pipeline.attempt_rows import sweep
from flowinsight.pipeline.coverage import explain, with_undefined
from flowinsight.pipeline.call_sites import (
    call_sites,
    place_sites,
    task_sites,
    with_failure_sites,
)
from flowinsight.pipeline.critical import critical_paths
from flowinsight.pipeline.datasets import datasets, name_by_operator
from flowinsight.pipeline.library_views import serve_deployments, tune_trials
from flowinsight.pipeline.facts import TaskFacts, task_facts
from flowinsight.pipeline.failures import Judged, judge
from flowinsight.pipeline.graph import data_flows
from flowinsight.pipeline.internals import internal_function
from flowinsight.pipeline.identity import (
    NodeKey,
    add_modules,
    all_modules,
    ambiguous_names,
    is_undefined,
    rename_by_span,
    renamed_tasks,
    single_modules,
)
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.partial import Partial, reduce_events
from flowinsight.pipeline.tasks import Task, is_driver_thread_record
from flowinsight.pipeline.views import (class_groups, focus, group_by_class, hide_internals,
                                        in_window, prune)
from flowinsight.result import (
    NO_STATS,
    Actor,
    Attempt,
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
    internals: bool = False  # keep Ray's internals in the view (else views.hide_internals)


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
    if reduced.dataset_events:
        name_by_operator(reduced.tasks, reduced.dataset_events)
    scan = scan_table(reduced.tasks, options)
    tasks = scan.tasks
    # the defined tasks the --since/--until window left out: a caller among them is named by
    # its record (it is no task without a definition)
    outside = {tid: t for tid, t in reduced.tasks.items() if t.defined and tid not in tasks} \
        if tasks is not reduced.tasks and (options.since_ns is not None
                                           or options.until_ns is not None) else {}
    if consume and tasks is not reduced.tasks:
        reduced.tasks = {}  # the selection holds every record still needed
    task_count = len(tasks)
    job_ids = scan.job_ids | reduced.job_ids
    actor_updates = reduced.actor_updates
    classes = {}
    if options.group_by == "class":
        classes = class_groups(collect_actors(
            actor_updates, (), scan.actor_ids, scan.actor_facts).values())
    # the actors known from records: an undefined task of another is its job's placeholder
    known_actors = scan.actor_ids | {u.actor_id for u in actor_updates}
    node_of = NodeNamer(tasks, len(job_ids - {""}) > 1, classes, scan.modules, scan.ambiguous,
                        known_actors, outside)
    sources = tuple(sorted(reduced.sources))
    # the C facts sweep the records in the same pass (attempt_rows.sweep takes that over)
    facts = task_facts(tasks, node_of, account, "export_api" in sources, sweep=True)
    puts, gets = reduced.puts, reduced.gets
    orphans = [0]
    flows = data_flows(puts, gets, node_of, orphans)

    actor_ids = {k.actor_id for k in node_of.keys.values() if k.actor_id}
    actors = collect_actors(actor_updates, (), actor_ids, scan.actor_facts)
    sites = task_sites(reduced.call_sites) if reduced.call_sites else {}
    placed = place_sites(sites, tasks, node_of) if sites else {}
    silent = _silent_actors(actors, scan.actor_ids)
    swept = sweep(tasks, node_of, facts.drivers, consume, facts.swept)
    facts.swept = None
    attempts = swept.attempts
    if classes:
        actors = _class_actors(actors, node_of)
    jobs_of = facts.jobs_of
    judged = judge(attempts, attempts.failed(), actor_updates, reduced.failure_notes,
                   reduced.job_updates,
                   lambda t: jobs_of[t] if t in jobs_of else job_of_task(t),
                   lambda job: node_of(driver_task_id(job)),
                   lambda actor: actor in actors or not classes)
    node_stats, calls = _without_ends(judged, attempts, swept.node_stats, swept.calls)
    cover = explain(facts.coverage, attempts, judged.dead_workers, judged.restarted,
                    facts.defined, judged.explained)
    cover = with_undefined(cover, len(node_of.missing), _undefined_tasks(node_of, facts))
    result = Result(
        jobs=_jobs(reduced.job_updates, facts.job_counts),
        nodes=_nodes(node_of, actors, facts, node_stats),
        actors=tuple(actors[a] for a in sorted(actors)),
        call_flows=calls,
        data_flows=flows,
        failure_notes=tuple(reduced.failure_notes),
        read=account,
        tasks=task_count,
        sources=sources,
        has_object_events=bool(puts or gets),
        attempts=attempts,
        failures=judged.failures,
        ends=judged.ends,
        coverage=cover,
        critical_paths=critical_paths(
            attempts, lambda t: jobs_of[t] if t in jobs_of else job_of_task(t), jobs_of),
        warnings=_warnings(cover, bool(puts or gets), account, task_count > 0)
        + _orphan_warning(orphans[0]) + _events_off(silent, sources, task_count),
    )
    if sites:
        result = replace(result, failures=with_failure_sites(result.failures, sites),
                         call_sites=call_sites(sites, placed, {n.id for n in result.nodes}))
    result = replace(
        result,
        serve=serve_deployments(result.actors, result.nodes, attempts, result.failures,
                                result.call_flows),
        tune=tune_trials(result.actors, result.nodes, attempts, result.failures))
    if reduced.dataset_events:
        result = replace(result, datasets=datasets(
            reduced.dataset_events, result.nodes, result.actors, attempts, flows,
            result.failures))
    if not options.internals:
        result = hide_internals(result)
    if options.focus:
        result = focus(result, options.focus)
    if options.max_nodes and len(result.nodes) > options.max_nodes:
        if options.group_by == "instance" and any(n.actor_id for n in result.nodes):
            grouped = analyze_partial(reduced, account, replace(options, group_by="class"))
            note = (f"collapsed for drawing: {len(result.actors)} actor instances into "
                    f"{len(grouped.actors)} classes")
            result = replace(grouped, warnings=(*grouped.warnings, note))
        result = prune(result, options.max_nodes)
    if result.call_sites and (options.focus or options.max_nodes or result.hidden.nodes):
        kept = {n.id for n in result.nodes}
        result = replace(result, call_sites=tuple(s for s in result.call_sites
                                                  if s.node in kept))
    return result


@dataclass(slots=True)
class TableScan:
    """What the analysis needs of the whole table before it names any node: one pass over the
    records (in C when built: pipeline/sweep/scan.c; scan_table_py is the reference)."""

    tasks: dict[str, Task]  # the selection (_selected_tasks)
    job_ids: set[str]  # the jobs of the selected tasks
    modules: dict[tuple[str, str], str]  # known_modules(tasks)
    actor_facts: tuple[dict[str, str], dict[str, str]]  # actor_task_facts(tasks)
    actor_ids: set[str]  # the actors the selected tasks name
    ambiguous: set[tuple[str, str]]  # ambiguous_names: names of functions of several modules


def scan_table(tasks: dict[str, Task], options: Options) -> TableScan:
    """scan_table_py's answer, from pipeline/sweep/scan.c when built (a time window is still
    chosen in Python, before)."""
    if sweep_module is None:
        return scan_table_py(tasks, options)
    if options.since_ns is not None or options.until_ns is not None:
        tasks = _selected_tasks(tasks, options)
    (dropped, job_ids, found, classes, languages, actor_ids, undefined,
     renamed) = sweep_module.scan(tasks, is_driver_thread_record, TaskType.ACTOR_CREATION,
                                  TaskType.ACTOR, TaskType.DRIVER)
    add_modules(found, undefined)  # tasks without a definition: key_of places them
    rename_by_span(renamed)
    if dropped:
        gone = set(dropped)
        tasks = {tid: t for tid, t in tasks.items() if tid not in gone}
    return TableScan(tasks, job_ids, single_modules(found), (classes, languages), actor_ids,
                     ambiguous_names(found))


def scan_table_py(tasks: dict[str, Task], options: Options) -> TableScan:
    selected = _selected_tasks(tasks, options)
    found = all_modules(selected)  # of the functions as submitted, as scan.c
    rename_by_span(renamed_tasks(selected.values()))
    return TableScan(selected, {t.job_id for t in selected.values()}, single_modules(found),
                     actor_task_facts(selected.values()),
                     {t.actor_id for t in selected.values() if t.actor_id},
                     ambiguous_names(found))


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


def _nodes(node_of: NodeNamer, actors: dict[str, Actor], facts: TaskFacts,
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
            internal=owner.internal if owner else (
                key.kind is NodeKind.FUNCTION and internal_function(key.name, key.module)),
            undefined=is_undefined(key),
        ))
    return tuple(sorted(nodes, key=lambda n: n.id))


def _undefined_tasks(node_of: NodeNamer, facts: TaskFacts) -> int:
    """The tasks drawn as undefined-task placeholders: their records, and the ids without one."""
    placeholders = {nid for nid, key in node_of.keys.items() if is_undefined(key)}
    if not placeholders:
        return 0
    asked = node_of.asked
    return sum(facts.received.get(nid, 0) for nid in placeholders) + sum(
        1 for task_id in node_of.missing if asked.get(task_id) in placeholders)


def _class_actors(actors: dict[str, Actor], node_of: NodeNamer) -> dict[str, Actor]:
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
                                      first.language if first else "", "", False,
                                      first.internal if first else False,
                                      first.class_of if first else "")
    return out


def _without_ends(judged: Judged, attempts: Sequence[Attempt], node_stats: dict[str, Stats],
                  calls: tuple[CallFlow, ...]) -> tuple[dict[str, Stats], tuple[CallFlow, ...]]:
    """The stats' failure counts without the failed attempts that are not failures (an end
    someone intended): the sweep counts every FAILED attempt."""
    if not judged.not_failed:
        return node_stats, calls
    node_of_task = {a.task_id: a.node for a in attempts}
    by_node: Counter[str] = Counter()
    by_edge: Counter[tuple[str, str]] = Counter()
    for a in attempts.failed() if isinstance(attempts, AttemptTable) else attempts:
        if (a.task_id, a.attempt) in judged.not_failed:
            by_node[a.node] += 1
            by_edge[(node_of_task.get(a.parent_task_id, ""), a.node)] += 1
    node_stats = {n: replace(s, failures=s.failures - by_node[n]) if by_node[n] else s
                  for n, s in node_stats.items()}
    calls = tuple(replace(c, stats=replace(c.stats, failures=c.stats.failures
                                           - by_edge[(c.source, c.target)]))
                  if by_edge[(c.source, c.target)] else c for c in calls)
    return node_stats, calls


def _jobs(updates: list[JobUpdate], counts: Counter[str]) -> tuple[Job, ...]:
    info: dict[str, JobUpdate] = {}
    for e in updates:
        old = info.get(e.job_id)
        if old is None or (e.is_dead and not old.is_dead) or (e.end_ms and not old.end_ms):
            info[e.job_id] = e
    # Ray's event export says a job's entrypoint, pid and start in separate events (definition,
    # lifecycle): what the chosen update lacks is taken from the others, in order
    for e in updates:
        chosen = info[e.job_id]
        if (not chosen.entrypoint and e.entrypoint) or (chosen.driver_pid is None and
                                                        e.driver_pid) \
                or (chosen.start_ms is None and e.start_ms):
            info[e.job_id] = replace(
                chosen, entrypoint=chosen.entrypoint or e.entrypoint,
                driver_pid=chosen.driver_pid if chosen.driver_pid is not None else e.driver_pid,
                start_ms=chosen.start_ms or e.start_ms)
    out = []
    for job_id in sorted(set(counts) | set(info)):
        j = info.get(job_id)
        out.append(Job(job_id, j.entrypoint if j else "", j.driver_pid if j else None,
                       j.start_ms if j else None, j.end_ms if j else None, counts[job_id]))
    return tuple(out)


# Serve's actors (ray.serve._private: ServeController, ProxyActor; replicas are named
# ServeReplica:<app>:<deployment>): Serve turns task events off in them unless asked.
_SERVE_CLASSES = ("ServeController", "ProxyActor", "ServeReplica:")


def _silent_actors(actors: dict[str, Actor], named: set[str]) -> list[Actor]:
    """The actors the Export API says exist but no task record names (not even their
    creation): their processes wrote no task events."""
    return [a for a in actors.values() if a.id not in named]


def _events_off(silent: list[Actor], sources: tuple[str, ...],
                tasks: int) -> tuple[str, ...]:
    """Which setting turned task events off, where the capture shows they were."""
    out = []
    serve = [a for a in silent if (a.class_of or a.class_name).startswith(_SERVE_CLASSES)]
    if serve:
        out.append(f"{len(serve)} Serve actor(s) without any task record: Serve turns task "
                   "events off in its actors; set RAY_SERVE_ENABLE_TASK_EVENTS=1 (before "
                   "serve.run) to see its calls")
    if len(silent) > len(serve):
        out.append(f"{len(silent) - len(serve)} actor(s) without any task record: task events "
                   "were off in their processes (RAY_task_events_report_interval_ms=0, or "
                   "RAY_enable_export_api_write_config without EXPORT_TASK)")
    if tasks and "export_api" not in sources:
        out.append("no Export API events: states, durations and failures are unknown; set "
                   "RAY_enable_export_api_write=1 before ray start / ray.init")
    return tuple(out)


def _orphan_warning(orphans: int) -> tuple[str, ...]:
    if not orphans:
        return ()
    return (f"{orphans} argument read(s) left out of the data flows: an ObjectRef Ray inlined "
            "into the task (under 100 KiB) whose submission the recorder did not name (a "
            "recorder older than this one)",)


def _what_is_missing(cover: Coverage) -> str:
    """What an incomplete capture costs the user. Calls go missing only with the events that
    name a caller (a definition, a parent, a skipped line, a cut file); an attempt without its
    final state or execution is still a call of the graph, only its outcome and duration are
    unknown. Ray writes a worker's task events about once a second
    (RAY_task_events_report_interval_ms), and the last of them are lost when the job ends or
    the worker dies first."""
    if cover.without_definition or cover.without_parent or cover.truncated_files \
            or cover.skipped_lines:
        return "the graph may miss calls"
    return ("those attempts are in the graph with their calls, their durations or outcomes "
            "unknown (Ray writes a worker's task events about once a second and loses the last "
            "ones when the job ends or the worker dies first)")


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
        out.append(f"incomplete capture: coverage {cover.ratio:.1%} of {cover.tasks} tasks "
                   f"({', '.join(missing)}); {_what_is_missing(cover)}")
    if cover.without_definition or cover.undefined_tasks:
        named = max(0, cover.without_definition - cover.undefined_tasks)
        how = [f"{n} {what}" for n, what in (
            (named, "named from their execution span or their actor's records"),
            (cover.undefined_tasks, 'drawn as "(undefined task)" placeholders'),
        ) if n]
        out.append(f"{max(cover.without_definition, cover.undefined_tasks)} task(s) without "
                   "definition: their submission "
                   "and definition events are missing (a truncated or partial capture: lines "
                   "cut, files rotated away, or a process stopped before Ray wrote its "
                   f"events); {', '.join(how)}")
    if read.skipped_total:
        out.append(f"{read.skipped_total} line(s) skipped: " + ", ".join(
            f"{r} {n}" for r, n in read.skipped_by_reason().items()))
    if has_tasks and not has_objects:
        out.append("no object events: data flow is unknown (stock Ray writes none; "
                   "record them with flowinsight.recorder)")
    return tuple(out)
