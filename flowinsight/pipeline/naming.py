"""Which graph node each task is: asked again and again by every step of the analysis, so
worked out once per task, and once per shape of task (function, type, actor, job)."""

from __future__ import annotations

from typing import Callable, Collection

from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.model.ids import is_driver_task
from flowinsight.pipeline.identity import (
    NodeKey,
    all_modules,
    ambiguous_names,
    key_of,
    node_id,
    single_modules,
    with_module,
)
from flowinsight.pipeline.tasks import Task
from flowinsight.pipeline.views import group_by_class


class NodeNamer:
    """Task id -> node id, remembering the key of every node it hands out. Each task's answer
    is worked out once, the first time it is asked for (every step asks again for the same
    tasks), and each node id is one string shared by all its tasks."""

    def __init__(self, tasks: dict[str, Task], multi_job: bool, classes: dict[str, str],
                 modules: dict[tuple[str, str], str] | None = None,
                 ambiguous: set[tuple[str, str]] | None = None,
                 actors: Collection[str] | None = None,
                 outside: dict[str, Task] | None = None,
                 renames: dict[str, FunctionRef] | None = None) -> None:
        self.tasks = tasks
        # records left out of `tasks` (by a time window) that may still name a caller
        self.outside = outside or {}
        # task id -> its function under the name Ray runs it as, where that is not its
        # record's (identity.renames_by_span, datasets.name_by_operator)
        self.renames = renames or {}
        # The functions (by identity) of records renamed: no shape of theirs is kept, as the C
        # facts find a shape by the record's function and would answer a renamed task of it by
        # the node of one not renamed. A renamed task's shape is its new function's.
        self._unshaped = {id(t.function) for t in map(self._record, self.renames)
                          if t is not None}
        self.multi_job = multi_job
        self.classes = classes  # actor id -> class, when grouping by class
        # known_modules(tasks) and ambiguous_names, unless the caller worked them out already
        if modules is None or ambiguous is None:
            found = all_modules(tasks)
            modules = single_modules(found) if modules is None else modules
            ambiguous = ambiguous_names(found) if ambiguous is None else ambiguous
        self.modules = modules
        self.ambiguous = ambiguous
        # the actors known from records (their snapshots, their defined tasks): an undefined
        # task of one of them is its placeholder, of any other actor its job's (key_of)
        self.actors = actors if actors is not None else {
            t.actor_id for t in tasks.values() if t.actor_id}
        # the ids asked about that have no record (a caller or producer whose every event is
        # missing), drivers aside: tasks without a definition too (build.py counts them)
        self.missing: set[str] = set()
        self.keys: dict[str, NodeKey] = {}
        # task id -> node id, for every task asked about; except, when `by_shape`, the tasks
        # of the table the C facts answered by their shape (see `cache`)
        self.asked: dict[str, str] = {}
        self.by_shape = False
        self._ids: dict[str, str] = {}
        # Tasks of the same shape (function, type, actor, job) are one node: worked out once.
        # The function is keyed by identity (records share them, and keep them alive).
        self.shapes: dict[tuple[int, TaskType, str, str], str] = {}

    @property
    def cache(self) -> dict[str, str]:
        """Task id -> node id, for every task asked about. The C facts (facts.py, with the
        sweep) ask about every task of the table but leave out of `asked` those their shape
        answers (a dict of every task id costs more than the rest of the pass): completed here
        from the table, the first time it is read, with the same answers (a task's shape is
        the same, and its shape's node never changes)."""
        if self.by_shape:
            self.by_shape = False
            asked = self.asked
            for task_id in self.tasks:
                if task_id not in asked:
                    self(task_id)
        return self.asked

    @property
    def known(self) -> Callable[[str], str | None]:
        """A task's node if asked for before (cache.get): no call of self."""
        return self.cache.get

    def __call__(self, task_id: str) -> str:
        nid = self.asked.get(task_id)
        if nid is not None:
            return nid
        task = self._record(task_id)
        shape = None
        named = self.renames.get(task_id) if self.renames else None
        # without a type or an actor the id itself is read (key_of): no shape then
        if task is not None and task.task_type is not None and (
                task.actor_id or task.task_type in NO_ACTOR) and (
                    named is not None or id(task.function) not in self._unshaped):
            function = named if named is not None else task.function
            shape = (id(function), task.task_type, task.actor_id, task.job_id)
            nid = self.shapes.get(shape)
            if nid is not None:
                self.asked[task_id] = nid
                return nid
        key = key_of(task_id, task, self.actors, named)
        if task is None and not is_driver_task(task_id):
            self.missing.add(task_id)
        if task is not None:
            key = with_module(key, self.modules)
        if self.classes and key.actor_id:
            key = group_by_class(key, self.classes)
        nid = node_id(key, self.multi_job, self.ambiguous)
        nid = self.asked[task_id] = self._ids.setdefault(nid, nid)
        self.keys.setdefault(nid, key)
        if shape is not None:
            self.shapes[shape] = nid
        return nid


    def _record(self, task_id: str) -> Task | None:
        task = self.tasks.get(task_id)
        if task is None and self.outside:
            task = self.outside.get(task_id)
        return task


NO_ACTOR = (TaskType.NORMAL, TaskType.DRIVER)  # kinds whose node never names an actor
