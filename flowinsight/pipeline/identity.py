"""Node identity (schema 2.1): which graph node each task belongs to.

An actor creation is the actor; an actor task is `<actor_id>.<method>`, or `<actor_id>.<name>`
when called under a name of its own (`.options(name=...)`: renames_by_span, or where the task
never ran, renames_by_given_name); a normal task is
its function's name as Ray names the task (`.options(name=...)`, a library's name),
whichever source described it, with its module only where one job has functions of that name
in several modules (`<module>.<function>`); the driver is `main`. With several jobs, function
and driver ids carry
`@<job>` so that jobs are kept apart. A task whose definition was lost is placed by its id
layout (schema 3) and named from its execution span where one survived. One that nothing names
(its submission, definition and execution events all missing: a truncated or partial capture)
is not given a made-up name: it is an "undefined task" placeholder, one per job, or one per
actor where its actor is known from other records (`<actor>.(undefined task)`); an actor known
only from such ids is no node at all.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Container, Iterable, Mapping

from flowinsight.model.events import FunctionRef, TaskName, TaskType, given_otherwise
from flowinsight.model.fast_init import fast_init
from flowinsight.model.ids import actor_of_task, infer_task_type, job_of_task
from flowinsight.pipeline.tasks import Task
from flowinsight.result import NodeKind

UNDEFINED = "(undefined task)"  # the name of a placeholder node (no Python name has brackets)


@fast_init
@dataclass(frozen=True, slots=True)
class NodeKey:
    kind: NodeKind
    job_id: str
    actor_id: str  # actors and methods
    module: str
    name: str  # method or function name; "" for an actor node


def key_of(task_id: str, task: Task | None, actors: Container[str] = (),
           named: FunctionRef | None = None) -> NodeKey:
    """The node of a task, from its record if there is one, else from its id alone. A task
    that no record or span names is an undefined-task placeholder: of its actor where the actor
    is in `actors` (known from other records: its snapshots or defined tasks), else of its
    job. `named`: the task's function under the name Ray runs it as, where that is not its
    record's (renames_by_span, datasets.name_by_operator)."""
    job = task.job_id if task is not None else job_of_task(task_id)
    task_type = task.task_type if task is not None and task.task_type else infer_task_type(task_id)
    function = named if named is not None else task.function if task is not None else None
    if task_type is TaskType.DRIVER:
        return NodeKey(NodeKind.DRIVER, job, "", "", "main")
    actor = (task.actor_id if task is not None else "") or actor_of_task(task_id)
    if function is None or not function.name:  # nothing names it
        if task_type is TaskType.ACTOR_CREATION and actor in actors:
            return NodeKey(NodeKind.ACTOR, job, actor, "", "")  # the actor is known
        if actor and actor in actors:
            return NodeKey(NodeKind.METHOD, job, actor, "", UNDEFINED)
        return NodeKey(NodeKind.FUNCTION, job, "", "", UNDEFINED)
    if task_type is TaskType.ACTOR_CREATION:
        return NodeKey(NodeKind.ACTOR, job, actor, "", "")
    if task_type is TaskType.ACTOR:
        return NodeKey(NodeKind.METHOD, job, actor, "", function.name)
    return NodeKey(NodeKind.FUNCTION, job, "", function.module, function.name)


def is_undefined(key: NodeKey) -> bool:
    """Whether a node is an undefined-task placeholder (key_of)."""
    return key.name == UNDEFINED and key.kind in (NodeKind.FUNCTION, NodeKind.METHOD)


def span_name(task: Task) -> str:
    """Ray's name of the task: its executor's first `task::<name>` span (set by
    `.options(name=...)` or a library, e.g. Ray Data's `ReadRange->MapBatches(add_one)` for
    `_map_task`), or ""."""
    for attempt in task.attempts:
        for name in attempt.span_names:
            if name.startswith("task::"):
                return name[6:]
    return ""


_RENAMED: dict[tuple[FunctionRef, str], FunctionRef] = {}


def renames_by_span(tasks: Iterable[Task]) -> dict[str, FunctionRef]:
    """A task is named as Ray names it: task id -> its function ref under the name of its
    `task::<name>` span, where that is another name (given_otherwise). So is an actor method called
    under a name of its own (`actor.method.options(name=...)`, Train's `execute.<fn>`): Ray
    runs it, and its State API lists it, under that name; its node stays under its actor
    (key_of: `<actor>.<name>`). The records are left as they are: the namer (naming.py) names
    the tasks by this. Renamed refs are shared, so that the tasks of one name are one shape.
    The scan of the table (scan.py) picks the tasks."""
    out: dict[str, FunctionRef] = {}
    for task in tasks:
        function = task.function
        if function is None:
            continue
        name = span_name(task)
        if given_otherwise(name, function.name):
            out[task.task_id] = renamed(function, name)
    return out


def renames_by_given_name(names: Iterable[TaskName], tasks: Mapping[str, Task]
                          ) -> dict[str, FunctionRef]:
    """Task id -> its function ref under the name it was given, where its definition says it
    (TaskName: Ray's event export, the recorder) and it is another name: the name Ray runs it
    under, as its `task::<name>` span says when it ran (renames_by_span, which wins where both
    speak). The first name given to a task holds. Only the tasks of `tasks`."""
    out: dict[str, FunctionRef] = {}
    for given in names:
        task = tasks.get(given.task_id)
        if task is None or given.task_id in out:
            continue
        function = task.function
        if function is not None and given_otherwise(given.name, function.name):
            out[given.task_id] = renamed(function, given.name)
    return out


def renamed(function: FunctionRef, name: str) -> FunctionRef:
    """`function` under Ray's name for it (a Dask-on-Ray task's by its dask function:
    dask_name), one shared ref per pair."""
    key = (function, name)
    new = _RENAMED.get(key)
    if new is None:
        new = FunctionRef(function.module, function.class_name, dask_name(name))
        if len(_RENAMED) < 1 << 14:
            _RENAMED[key] = new
    return new


# Dask on Ray (ray.util.dask.scheduler) runs each task of a dask graph as
# `dask_task_wrapper.options(name=f"dask:{key!s}")`: the key is the dask function's name and a
# token (`load-<uuid4>`, `sum-<md5>`), and for a chunk of a collection its index, as a tuple
# (`('sum-<md5>', 0, 1)`). Each task's name is its own, so Ray's names would make a node per
# task; named by the function, as dask's own key_split names a key (`dask:load`), the tasks of
# one function are one node.
_DASK = "dask:"
_HEX8 = re.compile(r"[0-9a-f]{8}")


def dask_name(name: str) -> str:
    """A Dask-on-Ray task's name (`dask:<key>`) as `dask:<function>`; any other name as it is.
    The function is the key's first word and the alphabetic words after it, up to the token
    (dask.utils.key_split)."""
    if not name.startswith(_DASK):
        return name
    key = name[len(_DASK):]
    if key.startswith("("):  # a chunk's key: its name, quoted, first in the tuple
        key = key[1:].split(",", 1)[0].strip("'\" ")
    words = key.split("-")
    if not words[0] or not words[0][0].isalpha():
        return name
    kept = [words[0]]
    for word in words[1:]:
        if not word.isalpha() or (len(word) == 8 and _HEX8.fullmatch(word)):
            break
        kept.append(word)
    return _DASK + "-".join(kept)


def node_id(key: NodeKey, multi_job: bool,
            ambiguous: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()) -> str:
    """A function's id is its name, whichever source described it (the Export API names no
    module, the recorder does): its module only tells apart functions of one name from
    several modules in one job (`ambiguous`, from ambiguous_names)."""
    if key.kind is NodeKind.ACTOR:
        return key.actor_id
    if key.kind is NodeKind.METHOD:
        return f"{key.actor_id}.{key.name}"
    if key.kind is NodeKind.DRIVER:
        base = "main"
    elif key.module and (key.job_id, key.name) in ambiguous:
        base = f"{key.module}.{key.name}"
    else:
        base = key.name
    return f"{base}@{key.job_id}" if multi_job else base


def known_modules(tasks: dict[str, Task]) -> dict[tuple[str, str], str]:
    """(job, function name) -> its module, where exactly one module is known for that name in
    the job: a function seen both with and without its module (Export API names carry none)
    is that one function."""
    return single_modules(all_modules(tasks))


def all_modules(tasks: dict[str, Task]) -> dict[tuple[str, str], set[str]]:
    """(job, function name) -> the modules named for it."""
    modules: dict[tuple[str, str], set[str]] = {}
    add_modules(modules, tasks.items())
    return modules


def add_modules(modules: dict[tuple[str, str], set[str]],
                tasks: Iterable[tuple[str, Task]]) -> None:
    """Each (job, function name) -> the modules named for it, added to `modules`."""
    for task_id, task in tasks:
        if task.function is None or not task.function.module:
            continue  # its key has no module (Export API names never do)
        key = key_of(task_id, task)
        if key.kind is NodeKind.FUNCTION and key.module:
            modules.setdefault((key.job_id, key.name), set()).add(key.module)


def single_modules(modules: dict[tuple[str, str], set[str]]) -> dict[tuple[str, str], str]:
    """The names for which exactly one module is known."""
    return {where: next(iter(found)) for where, found in modules.items() if len(found) == 1}


def ambiguous_names(modules: dict[tuple[str, str], set[str]]) -> set[tuple[str, str]]:
    """The (job, function name) pairs for which several modules are known."""
    return {where for where, found in modules.items() if len(found) > 1}


def with_module(key: NodeKey, modules: dict[tuple[str, str], str]) -> NodeKey:
    """A function key without a module, given the one module known for it (known_modules)."""
    if key.kind is NodeKind.FUNCTION and not key.module:
        module = modules.get((key.job_id, key.name))
        if module:
            return NodeKey(key.kind, key.job_id, "", module, key.name)
    return key
