"""Actor facts from EXPORT_ACTOR snapshots and from the tasks that name an actor's class."""

from __future__ import annotations

from typing import Iterable

from flowinsight.model.events import ActorUpdate, TaskType
from flowinsight.pipeline.internals import internal_class
from flowinsight.pipeline.tasks import Task
from flowinsight.result import Actor

NO_CLASS = "(class not recorded)"

# Later states win when snapshots share a timestamp (the envelope has whole seconds only).
_STATE_ORDER = {"DEPENDENCIES_UNREADY": 0, "PENDING_CREATION": 1, "ALIVE": 2, "RESTARTING": 3,
                "DEAD": 4}


def actor_task_facts(tasks: Iterable[Task]) -> tuple[dict[str, str], dict[str, str]]:
    """What the tasks say of the actors they name: actor id -> class (the constructor's
    descriptor is the authority, else the first task naming one), and actor id -> the first
    language named (build.py's scan of the table gives both, in C when built)."""
    classes: dict[str, str] = {}
    languages: dict[str, str] = {}
    for task in tasks:
        if task.actor_id and task.function is not None and task.function.class_name:
            # the constructor's descriptor is the authority on the class
            if task.task_type is TaskType.ACTOR_CREATION or task.actor_id not in classes:
                classes[task.actor_id] = task.function.class_name
        if task.actor_id and task.language:
            languages.setdefault(task.actor_id, task.language)
    return classes, languages


def collect_actors(updates: Iterable[ActorUpdate], tasks: Iterable[Task],
                   actor_ids: Iterable[str],
                   task_facts: tuple[dict[str, str], dict[str, str]] | None = None,
                   ) -> dict[str, Actor]:
    """The actors, from their snapshots and from the tasks (or what actor_task_facts said of
    them, when given: the tasks are not read then)."""
    latest: dict[str, ActorUpdate] = {}
    names: dict[str, tuple[str, str, str]] = {}
    for up in updates:
        old = latest.get(up.actor_id)
        if old is None or _rank(up) >= _rank(old):
            latest[up.actor_id] = up
        cls, name, shown = names.get(up.actor_id, ("", "", ""))
        names[up.actor_id] = (cls or up.class_name, name or up.name, shown or up.repr_name)
    classes, languages = task_facts if task_facts is not None else actor_task_facts(tasks)
    actors = {}
    for actor_id in sorted(set(actor_ids) | set(latest)):
        snapshot = latest.get(actor_id)
        cls, name, shown = names.get(actor_id, ("", "", ""))
        cls = cls or classes.get(actor_id, "")
        shown = shown or own_name(cls)
        actors[actor_id] = Actor(
            id=actor_id,
            # the name Ray shows: the repr a library gives (Tune's trainable: its function's
            # name, not ImplicitFunc), else the class by its own name; an actor known from its
            # snapshots and tasks whose class none of them named is not given one
            class_name=shown or cls or NO_CLASS,
            actor_name=name,
            job_id=snapshot.job_id if snapshot else actor_id[-8:],
            language=languages.get(actor_id, ""),
            state=snapshot.state if snapshot else "",
            detached=snapshot.is_detached if snapshot else False,
            internal=internal_class(cls),
            class_of=cls if shown and shown != cls else "",
        )
    return actors


def own_name(cls: str) -> str:
    """A class by the name it was given where it was made: Ray names an actor's class by its
    __qualname__ (PythonFunctionDescriptor.from_class), which for a class made inside a
    function starts with that function's path ("with_resources.<locals>.ResourceTrainable",
    Tune's subclass of a trainable given resources); Ray's own task names drop it
    ("ResourceTrainable.train"). A nested class keeps its outer class ("Outer.Inner")."""
    return cls.rpartition("<locals>.")[2]


def _rank(up: ActorUpdate) -> tuple[float, int]:
    return (up.time_s or 0.0, _STATE_ORDER.get(up.state, -1))
