"""The scan of the table before any node is named: the selection (`--since/--until`, without
driver-thread records), its jobs, the modules known for function names, what the tasks say of
their actors and which tasks Ray names by their span. One pass over the records, in table
order; they are only read."""

from __future__ import annotations

from dataclasses import dataclass

from flowinsight.model.events import FunctionRef, TaskType, given_otherwise
from flowinsight.model.ids import actor_of_task, is_driver_task
from flowinsight.pipeline.identity import (
    add_modules,
    ambiguous_names,
    renames_by_span,
    span_name,
    single_modules,
)
from flowinsight.pipeline.options import Options
from flowinsight.pipeline.tasks import NAMED_SPAN, Task, is_driver_thread_record
from flowinsight.pipeline.views import in_window


@dataclass(frozen=True, slots=True)
class TableScan:
    """What the analysis needs of the whole table before it names any node: one pass over the
    records."""

    tasks: dict[str, Task]  # the selection (selected_tasks)
    job_ids: set[str]  # the jobs of the selected tasks
    modules: dict[tuple[str, str], str]  # identity.known_modules of the selection
    actor_facts: tuple[dict[str, str], dict[str, str]]  # actors.actor_task_facts of it
    actor_ids: set[str]  # the actors the selected tasks name
    ambiguous: set[tuple[str, str]]  # ambiguous_names: names of functions of several modules
    renames: dict[str, FunctionRef]  # identity.renames_by_span of the selected tasks
    # The actors some record of Ray's task events (an attempt: its owner's or its executor's)
    # names. Ray writes none for an actor whose task events are off (the actor's
    # enable_task_events=False, Serve's actors as shipped): the recorder's submissions alone
    # name such an actor's tasks (warnings.silent_actors).
    spoken: set[str]
    bare: dict[str, int]  # actor -> its task records with no attempt (submissions only)
    # (task id, caller's task id, submission ms) of those records of actors in `spoken` that
    # have a definition, a submission time and a known caller: failures.lost_unattempted's
    bare_calls: tuple[tuple[str, str, float], ...] = ()


def scan_table(tasks: dict[str, Task], options: Options) -> TableScan:
    """The selection and what it says, as identity.known_modules, ambiguous_names,
    renames_by_span and actors.actor_task_facts would say of it, in one pass.

    The pass is the cost (a million records on a large capture), so it does per record only
    what a record of the shape before it did not: records share their job, function, actor,
    language and span names objects (tasks.shared, the reader's tables), and a record whose
    objects are the ones the record before had adds nothing new to the jobs, the modules or
    the actors' facts. Those checks are by identity, so they only save work: equal objects
    that are not the same one are added again, with the same outcome."""
    if options.since_ns is not None or options.until_ns is not None:
        tasks = selected_tasks(tasks, options)
    normal, method, creation = TaskType.NORMAL, TaskType.ACTOR, TaskType.ACTOR_CREATION
    dropped: list[Task] = []  # driver-thread records
    undefined: list[Task] = []  # the other tasks without a definition
    job_ids: set[str] = set()
    found: dict[tuple[str, str], set[str]] = {}  # (job, function name) -> its modules
    classes: dict[str, str] = {}
    languages: dict[str, str] = {}
    actor_ids: set[str] = set()
    spoken: set[str] = set()  # actors a task record with Ray's task events names
    last_spoken: object = None
    bare: dict[str, int] = {}  # actor -> its task records without any of Ray's task events
    bare_calls: list[tuple[str, str, float]] = []  # TableScan.bare_calls
    renamed: list[Task] = []  # normal and actor tasks whose `task::` span names them otherwise
    span_named: dict[int, str] = {}  # id(span names) -> its first `task::` name, or ""
    # what the record before had, and what was worked out of it
    last_job: object = None
    last_function: FunctionRef | None = None
    name, module = "", ""  # last_function's (module: only where it has a name)
    module_function: object = None  # and module_job: the function and job last added
    module_job: object = None
    last_names: object = None
    rename: bool | None = None  # whether last_names rename last_function (None: they name none)
    last_actor: object = None  # and the function, type and language of its record before
    fact_function: object = None
    fact_kind: object = None
    fact_language: object = None
    for task in tasks.values():
        kind = task.task_type
        if kind is None:  # no definition: rare
            if is_driver_thread_record(task):
                dropped.append(task)
                continue
            undefined.append(task)
        job = task.job_id
        if job is not last_job:
            last_job = job
            job_ids.add(job)
        function = task.function
        if (kind is normal or kind is method) and function is not None:
            # a function or an actor method called under a name of its own; the first
            # attempt with a `task::` span names the task
            attempts = task.attempts
            names = attempts[0].span_names if attempts else ()
            if function is not last_function or names is not last_names:
                if function is not last_function:
                    last_function = function
                    name = function.name
                    module = function.module if name else ""
                last_names = names
                named = span_named.get(id(names))
                if named is None:
                    named = _first_named(names, span_named)
                # None: no `task::` span there
                rename = given_otherwise(named, name) if named else None
            if module and kind is normal and (
                    function is not module_function or job is not module_job):
                module_function, module_job = function, job
                found.setdefault((job, name), set()).add(module)
            if rename:
                renamed.append(task)
            elif rename is None and len(attempts) > 1 and given_otherwise(span_name(task), name):
                renamed.append(task)
        actor = task.actor_id
        if not actor:
            continue
        if not task.attempts:  # known from a submission only (the recorder's)
            bare[actor] = bare.get(actor, 0) + 1
            if kind is not None and task.submit_ms is not None and task.parent_task_id:
                bare_calls.append((task.task_id, task.parent_task_id, task.submit_ms))
        elif actor is not last_spoken:
            last_spoken = actor
            spoken.add(actor)
        language = task.language
        if actor is not last_actor:
            last_actor = actor
            actor_ids.add(actor)
        elif function is fact_function and kind is fact_kind and language is fact_language:
            continue  # as the record before: its class and language are set already
        fact_function, fact_kind, fact_language = function, kind, language
        if function is not None and function.class_name:
            # the constructor's descriptor is the authority on the class
            if kind is creation or actor not in classes:
                classes[actor] = function.class_name
        if language:
            languages.setdefault(actor, language)
    if dropped or any(t.function is not None and t.function.module for t in undefined):
        # rare: this needs the tasks' ids, the table's keys (identity.key_of places an
        # undefined task by its id). Their modules come after the others' in `found`, which
        # is only looked up and made into sets: its order is not seen.
        gone, placed = {id(t) for t in dropped}, {id(t) for t in undefined}
        add_modules(found, ((tid, t) for tid, t in tasks.items() if id(t) in placed))
        if gone:
            tasks = {tid: t for tid, t in tasks.items() if id(t) not in gone}
    return TableScan(tasks, job_ids, single_modules(found), (classes, languages), actor_ids,
                     ambiguous_names(found), renames_by_span(renamed), spoken, bare,
                     tuple(c for c in bare_calls if actor_of_task(c[0]) in spoken
                           and (c[1] in tasks or is_driver_task(c[1]))))


def _first_named(names: tuple[str, ...], span_named: dict[int, str]) -> str:
    """The name in the first `task::<name>` of `names`, or "", remembered in span_named by the
    tuple's id: the records hold the tuples, so an id stands for one while the scan runs."""
    name = next((n[len(NAMED_SPAN):] for n in names if n.startswith(NAMED_SPAN)), "")
    span_named[id(names)] = name
    return name


def selected_tasks(tasks: dict[str, Task], options: Options) -> dict[str, Task]:
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
