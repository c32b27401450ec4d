"""From a Capture to a Result: the steps, in order.

1. select (`--job`)   2. merge tasks   3. node identity   4. call flows
5. data flows         6. nodes, actors, jobs   7. read account and warnings
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flowinsight.model.capture import Capture
from flowinsight.model.events import (
    ActorUpdate,
    Event,
    FailureNote,
    JobUpdate,
    ObjectGet,
    ObjectPut,
    TaskSubmitted,
    TaskType,
    TaskUpdate,
)
from flowinsight.model.ids import is_driver_task
from flowinsight.pipeline.actors import collect_actors
from flowinsight.pipeline.graph import call_flows, data_flows
from flowinsight.pipeline.identity import NodeKey, fill_modules, key_of, node_id
from flowinsight.pipeline.tasks import Task, is_driver_thread_record, merge_tasks
from flowinsight.result import Actor, FileSummary, Job, Node, NodeKind, Result


@dataclass(frozen=True, slots=True)
class Options:
    job: str = ""  # keep only this job (hex)


class _Identity:
    """Task id -> node id, remembering the key of every node it hands out."""

    def __init__(self, tasks: dict[str, Task], multi_job: bool) -> None:
        self.tasks = tasks
        self.multi_job = multi_job
        self.task_keys = fill_modules({tid: key_of(tid, t) for tid, t in tasks.items()})
        self.keys: dict[str, NodeKey] = {}

    def __call__(self, task_id: str) -> str:
        key = self.task_keys.get(task_id) or key_of(task_id, None)
        nid = node_id(key, self.multi_job)
        self.keys.setdefault(nid, key)
        return nid


def analyze(capture: Capture, options: Options = Options()) -> Result:
    events = select_job(capture.events, options.job)
    merged = merge_tasks(events)
    tasks = {tid: t for tid, t in merged.items() if not is_driver_thread_record(t)}
    job_ids = {t.job_id for t in tasks.values()} | {
        e.job_id for e in events if isinstance(e, (JobUpdate, ObjectPut, ObjectGet))
    }
    node_of = _Identity(tasks, multi_job=len(job_ids - {""}) > 1)
    for tid in sorted(tasks):
        node_of(tid)

    calls = call_flows(((t.task_id, t.parent_task_id) for t in tasks.values()), node_of)
    puts = [e for e in events if isinstance(e, ObjectPut)]
    gets = [e for e in events if isinstance(e, ObjectGet)]
    flows = data_flows(puts, gets, node_of)

    actor_ids = {k.actor_id for k in node_of.keys.values() if k.actor_id}
    actors = collect_actors((e for e in events if isinstance(e, ActorUpdate)), tasks.values(),
                            actor_ids)
    read = FileSummary(capture.files, capture.examples, len(capture.events),
                       sum(f.lines for f in capture.files))
    real_tasks = [t for t in tasks.values() if not is_driver_task(t.task_id)]
    return Result(
        jobs=_jobs(events, real_tasks),
        nodes=_nodes(node_of, actors),
        actors=tuple(actors[a] for a in sorted(actors)),
        call_flows=calls,
        data_flows=flows,
        failure_notes=tuple(e for e in events if isinstance(e, FailureNote)),
        read=read,
        tasks=len(tasks),
        sources=_sources(events),
        has_object_events=bool(puts or gets),
        warnings=_warnings(real_tasks, bool(puts or gets), read),
    )


def select_job(events: tuple[Event, ...], job: str) -> tuple[Event, ...]:
    """`--job`: keep the events of one job (events that belong to no job are kept)."""
    if not job:
        return events
    job = job.lower()
    return tuple(e for e in events if getattr(e, "job_id", "") in (job, ""))


def _nodes(node_of: _Identity, actors: dict[str, Actor]) -> tuple[Node, ...]:
    received: Counter[str] = Counter()
    defined: set[str] = set()
    languages: dict[str, str] = {}
    for tid, task in node_of.tasks.items():
        nid = node_of(tid)
        if task.task_type is not None:
            defined.add(nid)
        if task.language:
            languages.setdefault(nid, task.language)
        if not is_driver_task(tid):
            received[nid] += 1
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
            language=languages.get(nid, "") or (owner.language if owner else ""),
            calls=received[nid],
            inferred=nid not in defined and key.kind is not NodeKind.DRIVER,
        ))
    return tuple(sorted(nodes, key=lambda n: n.id))


def _jobs(events: tuple[Event, ...], tasks: list[Task]) -> tuple[Job, ...]:
    counts = Counter(t.job_id for t in tasks)
    info: dict[str, JobUpdate] = {}
    for e in events:
        if isinstance(e, JobUpdate):
            old = info.get(e.job_id)
            if old is None or (e.is_dead and not old.is_dead) or (e.end_ms and not old.end_ms):
                info[e.job_id] = e
    out = []
    for job_id in sorted(set(counts) | set(info)):
        j = info.get(job_id)
        out.append(Job(job_id, j.entrypoint if j else "", j.driver_pid if j else None,
                       j.start_ms if j else None, j.end_ms if j else None, counts[job_id]))
    return tuple(out)


def _sources(events: tuple[Event, ...]) -> tuple[str, ...]:
    found = set()
    for e in events:
        if isinstance(e, (TaskSubmitted, ObjectPut, ObjectGet, FailureNote)):
            found.add("ray_event")
        else:
            found.add("export_api")
        if len(found) == 2:
            break
    return tuple(sorted(found))


def _warnings(tasks: list[Task], has_objects: bool, read: FileSummary) -> tuple[str, ...]:
    out = []
    undefined = sum(1 for t in tasks if not t.defined)
    if undefined:
        out.append(f"{undefined} task(s) have no definition in the capture: placed by their ids")
    if read.skipped:
        out.append(f"{read.skipped} line(s) skipped: " + ", ".join(
            f"{r} {n}" for r, n in read.skipped_by_reason().items()))
    if tasks and not has_objects:
        out.append("no object events: data flow is unknown (stock Ray writes none; "
                   "record them with flowinsight.recorder)")
    return tuple(out)


__all__ = ["Options", "analyze", "select_job", "TaskType", "TaskUpdate"]
