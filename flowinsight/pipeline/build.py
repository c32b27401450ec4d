"""From a Capture to a Result: the steps, in order.

1. select (`--job`) and merge tasks: reduce_events (pipeline/partial.py), per file or per group
   of files when readers work in parallel, the pieces merged in order
2. the core, analyze_partial:
   - Ray Data tasks named by their operator (datasets.py), the scan of the table and the
     `--since/--until` window
   - node identity (`--group-by`; identity.py, naming.py), the facts of every task and
     coverage (facts.py, coverage.py)
   - data flows with latency (graph.py), actors (actors.py)
   - the sweep: attempts and timings, call flows and node stats (attempt_rows.py)
   - failures judged by cause (failures.py), nodes, jobs, the critical path (critical.py),
     warnings (warnings.py)
3. STEPS, each `(Result, Context) -> Result`: call sites (call_sites.py), Serve and Tune
   (library_views.py), Ray Data's plans (datasets.py), internals hidden, `--focus` and
   `--max-nodes` (views.py), the call sites left in view
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from flowinsight.model.capture import Capture, ReadAccount
from flowinsight.model.events import JobUpdate, TaskType
from flowinsight.model.ids import driver_task_id, job_of_task
from flowinsight.pipeline.actors import actor_task_facts, collect_actors
from flowinsight.pipeline.attempt_rows import sweep
from flowinsight.pipeline.coverage import explain, with_undefined
from flowinsight.pipeline.call_sites import (
    Frames,
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
from flowinsight.pipeline.warnings import (
    capture_warnings,
    events_off,
    orphan_warning,
    silent_actors,
)
from flowinsight.pipeline.views import (class_groups, focus, group_by_class, hide_internals,
                                        in_window, prune)
from flowinsight.result import (
    NO_STATS,
    Actor,
    Attempt,
    AttemptTable,
    CallFlow,
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
    silent = silent_actors(actors, scan.actor_ids)
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
        warnings=capture_warnings(cover, bool(puts or gets), account, task_count > 0)
        + orphan_warning(orphans[0]) + events_off(silent, sources, task_count),
    )
    context = Context(reduced, account, options, sites, placed,
                      lambda changed: analyze_partial(reduced, account, changed))
    for step in STEPS:
        result = step(result, context)
    return result


@dataclass(frozen=True, slots=True)
class Context:
    """What the steps after the core read besides the result they are handed."""

    reduced: Partial
    account: ReadAccount
    options: Options
    sites: dict[str, tuple[Frames, str]]  # call sites by task (call_sites.task_sites)
    placed: dict[str, tuple[str, str]]  # their tasks' and callers' nodes (place_sites)
    reanalyze: Callable[[Options], Result]  # the same analysis under other options


def with_call_sites(result: Result, context: Context) -> Result:
    """Where in the user's code each node was called from, and each failure's site."""
    sites = context.sites
    if not sites:
        return result
    return replace(result, failures=with_failure_sites(result.failures, sites),
                   call_sites=call_sites(sites, context.placed, {n.id for n in result.nodes}))


def with_library_views(result: Result, context: Context) -> Result:
    """Serve's deployments and Tune's trials."""
    return replace(
        result,
        serve=serve_deployments(result.actors, result.nodes, result.attempts, result.failures,
                                result.call_flows),
        tune=tune_trials(result.actors, result.nodes, result.attempts, result.failures))


def with_datasets(result: Result, context: Context) -> Result:
    """Ray Data's plans, each operator with what ran it."""
    events = context.reduced.dataset_events
    if not events:
        return result
    return replace(result, datasets=datasets(events, result.nodes, result.actors,
                                             result.attempts, result.data_flows,
                                             result.failures))


def without_internals(result: Result, context: Context) -> Result:
    """Ray's internals out of the view, unless --internals (views.hide_internals)."""
    return result if context.options.internals else hide_internals(result)


def focused(result: Result, context: Context) -> Result:
    """--focus: a node and its neighbours."""
    return focus(result, context.options.focus) if context.options.focus else result


def within_max_nodes(result: Result, context: Context) -> Result:
    """--max-nodes, for drawing: actor instances collapsed into their classes (the analysis
    again, by class), then the busiest nodes kept (views.prune)."""
    options = context.options
    if not options.max_nodes or len(result.nodes) <= options.max_nodes:
        return result
    if options.group_by == "instance" and any(n.actor_id for n in result.nodes):
        grouped = context.reanalyze(replace(options, group_by="class"))
        note = (f"collapsed for drawing: {len(result.actors)} actor instances into "
                f"{len(grouped.actors)} classes")
        result = replace(grouped, warnings=(*grouped.warnings, note))
    return prune(result, options.max_nodes)


def call_sites_in_view(result: Result, context: Context) -> Result:
    """The call sites of the nodes the view kept."""
    options = context.options
    if not result.call_sites or not (options.focus or options.max_nodes or result.hidden.nodes):
        return result
    kept = {n.id for n in result.nodes}
    return replace(result, call_sites=tuple(s for s in result.call_sites if s.node in kept))


Step = Callable[[Result, Context], Result]

# After the core (analyze_partial: identity, facts and coverage, data flows, actors, the sweep,
# failures, the critical path), in this order: each takes the result so far and gives the next.
STEPS: tuple[Step, ...] = (with_call_sites, with_library_views, with_datasets,
                           without_internals, focused, within_max_nodes, call_sites_in_view)


@dataclass(slots=True)
class TableScan:
    """What the analysis needs of the whole table before it names any node: one pass over the
    records (in C when built: native/scan.c; scan_table_py is the reference)."""

    tasks: dict[str, Task]  # the selection (_selected_tasks)
    job_ids: set[str]  # the jobs of the selected tasks
    modules: dict[tuple[str, str], str]  # known_modules(tasks)
    actor_facts: tuple[dict[str, str], dict[str, str]]  # actor_task_facts(tasks)
    actor_ids: set[str]  # the actors the selected tasks name
    ambiguous: set[tuple[str, str]]  # ambiguous_names: names of functions of several modules


def scan_table(tasks: dict[str, Task], options: Options) -> TableScan:
    """scan_table_py's answer, from native/scan.c when built (a time window is still
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
