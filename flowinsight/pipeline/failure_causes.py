"""Which recorded failure explains another: one cause, one story (docs/failures.md, "One cause,
its consequences").

Ray records a death once and again in each call it cut: an actor's restart or death is an
EXPORT_ACTOR update, and each call queued or running on it fails with an error made from that
death (`ActorDiedError` / `ActorUnavailableError`; core_worker's actor task submitter gives the
error type of the actor's death cause, `GenErrorTypeFromDeathCause` in src/ray/gcs/pb_util.h:
ACTOR_DIED, RUNTIME_ENV_SETUP_FAILED, ACTOR_UNSCHEDULABLE_ERROR, OUT_OF_MEMORY; a restarting
actor's calls ACTOR_UNAVAILABLE). A worker's or node's death (the raylet's RAY_WORKER_FAILURE,
the GCS's RAY_NODE_REMOVED) fails the attempts that ran there (WORKER_DIED, NODE_DIED, ...); a
driver's or worker's death kills the actors it owned (ActorDiedErrorContext OWNER_DIED, "Owner
Id: <its worker id>"); a task whose argument was a failed task's return fails with that task's
error ("input from boom failed: ..."), and a call that awaited or got a call of its own that
raised, and did not catch it, fails with that call's exception raised again (RayTaskError, its
last line the same). Each stays a failure (Ray recorded it); this step links
it to its cause by the cause's id (`Failure.key`), so that a view that narrows the failures
keeps the link, and the renderers tell the cause once with what followed from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence, TypeVar

from flowinsight.model.events import TASK_EXECUTION_EXCEPTION
from flowinsight.model.ids import JOB_HEX, WORKER_HEX, actor_of_task, is_actor_creation_task
from flowinsight.result import Attempt, Failure

# Error types that say "the process that ran it, or its actor, or its node, went away": the
# failure a worker's failure label stands for, and an end that may come with the job's end
PROCESS_GONE = frozenset(("WORKER_DIED", "ACTOR_DIED", "ACTOR_UNAVAILABLE", "NODE_DIED",
                          "OWNER_DIED", "LOCAL_RAYLET_DIED", "OUT_OF_MEMORY"))
# The error types an actor's call gets from its actor's death or restart (pb_util.h
# GenErrorTypeFromDeathCause, ActorUnavailableError for a restarting actor; WORKER_DIED and
# NODE_DIED where the call was running in the actor's process when it died)
_FROM_ACTOR = frozenset(("ACTOR_DIED", "ACTOR_UNAVAILABLE", "RUNTIME_ENV_SETUP_FAILED",
                         "ACTOR_UNSCHEDULABLE_ERROR", "OUT_OF_MEMORY", "WORKER_DIED",
                         "NODE_DIED"))
# The GCS's text of an actor whose owner died (gcs_actor_manager.cc): the owner's worker id
_OWNER_ID = re.compile(r"Owner Id: ([0-9a-f]+)")
# failures.headline's note where a task failed with its input's error
_INPUT = re.compile(r"(?:input from (\S+) failed|an input failed): ")


def driver_worker_id(job_id: str) -> str:
    """The worker id of a job's driver: the job id padded with ff (ComputeDriverIdFromJob,
    src/ray/common/id.cc), which the GCS names as an owner ("Owner Id: 01000000ffff...")."""
    return job_id + "f" * (WORKER_HEX - JOB_HEX) if len(job_id) == JOB_HEX else ""


def failure_key(f: Failure, ident: str = "") -> str:
    """A failure's own id: an attempt's task id and number; a death's kind, what died (an
    actor's id and whether it restarted or died; a label's worker, node or job) and when."""
    if f.kind == "task":
        return f"task:{f.task_id}:{f.attempt}"
    when = "" if f.time_s is None else str(round(f.time_s * 1000))
    if f.kind == "actor":
        return f"actor:{f.node}:{f.error_type}@{when}"
    return f"{f.kind}:{ident or f.node}@{when}"


@dataclass(frozen=True, slots=True)
class Death:
    """A failure that is the death of a process or node: the worker and Ray node it names."""

    key: str
    time_s: float | None
    worker: str = ""
    ray_node: str = ""


def link_causes(failures: Sequence[Failure], failed: Mapping[tuple[str, int], Attempt],
                deaths: Iterable[Death],
                actor_nodes: Mapping[str, str]) -> list[Failure]:
    """`failures` (keyed, counted) with each one's cause set where another of them explains
    it. `failed` the failed attempts by (task id, attempt), `deaths` the failures that are a
    worker's or node's death, `actor_nodes` each actor's Ray node."""
    actor_ends: dict[str, list[Failure]] = {}  # each actor's deaths and restarts
    creations: dict[str, list[Failure]] = {}  # each actor's failed creation attempts
    by_message: dict[str, list[Failure]] = {}  # the failed attempts by their message
    raised_in: dict[str, list[Failure]] = {}  # the calls that raised, by their caller's task
    for f in failures:
        if f.kind == "actor":
            actor_ends.setdefault(f.node, []).append(f)
        elif f.kind == "task":
            by_message.setdefault(f.message, []).append(f)
            made = failed.get((f.task_id, f.attempt or 0))
            if made is not None and f.error_type == TASK_EXECUTION_EXCEPTION:
                raised_in.setdefault(made.parent_task_id, []).append(f)
            if is_actor_creation_task(f.task_id):
                creations.setdefault(actor_of_task(f.task_id), []).append(f)
    by_worker: dict[str, list[Death]] = {}
    by_node: dict[str, list[Death]] = {}
    keys = {f.key for f in failures}
    for d in deaths:
        if d.key not in keys:
            continue  # not a failure (an end someone intended): it explains none
        if d.worker:
            by_worker.setdefault(d.worker, []).append(d)
        if d.ray_node:
            by_node.setdefault(d.ray_node, []).append(d)

    def cause_of(f: Failure) -> str:
        if f.kind == "actor":
            return _actor_cause(f, by_worker, by_node, actor_nodes)
        if f.kind != "task":
            return ""
        actor = actor_of_task(f.task_id)
        if actor and not is_actor_creation_task(f.task_id) and f.error_type in _FROM_ACTOR:
            met = _last_by(actor_ends.get(actor, []), f.time_s) \
                or _last_by(creations.get(actor, []), f.time_s)
            if met is not None:
                return met.key
        a = failed.get((f.task_id, f.attempt or 0))
        if a is not None and f.error_type in PROCESS_GONE:
            for d in by_worker.get(a.worker_id, []) + by_node.get(a.ray_node_id, []):
                if d.key != f.key:
                    return d.key
        if _INPUT.match(f.message):
            return _input_cause(f, by_message)
        if f.error_type == TASK_EXECUTION_EXCEPTION:
            met = _last_by([c for c in raised_in.get(f.task_id, []) if c.message == f.message],
                           f.time_s)
            if met is not None:
                return met.key
        return ""

    out = []
    for f in failures:
        cause = cause_of(f)
        out.append(replace(f, cause=cause) if cause and cause != f.key else f)
    return out


def _actor_cause(f: Failure, by_worker: Mapping[str, list[Death]],
                 by_node: Mapping[str, list[Death]], actor_nodes: Mapping[str, str]) -> str:
    """An actor's death by its owner's death (the owner's worker id in the GCS's text) or by
    its node's (where its EXPORT_ACTOR put it)."""
    found: list[Death] = []
    if f.error_type.endswith(":OWNER_DIED"):
        owner = _OWNER_ID.search(f.message)
        found = by_worker.get(owner.group(1), []) if owner else []
    elif f.error_type.endswith(":NODE_DIED"):
        found = by_node.get(actor_nodes.get(f.node, ""), [])
    met = _last_by(found, f.time_s, slack=1.0)  # the GCS stamps actors in whole seconds
    return met.key if met is not None and met.key != f.key else ""


def _input_cause(f: Failure, by_message: Mapping[str, list[Failure]]) -> str:
    """The failed task whose error a task failed with, as its input (RayTaskError's note and
    the input's `ray::<name>()`): that error, raised before, by the task of that name (by
    its node's last part: a function, an actor's method), the last one if several."""
    found = _INPUT.match(f.message)
    assert found is not None
    name, error = found.group(1), f.message[found.end():]
    same = [t for t in by_message.get(error, []) if t is not f]
    if name:  # Ray's name: a function's, or `Class.method` (an actor's node: <actor id>.method)
        same = [t for t in same if t.node.rsplit(".", 1)[-1] == name.rsplit(".", 1)[-1]]
    met = _last_by(same, f.time_s)
    return met.key if met is not None else ""


_Timed = TypeVar("_Timed", Failure, Death)


def _last_by(found: Sequence[_Timed], time_s: float | None,
             slack: float = 0.0) -> _Timed | None:
    """The last of these (a death, a failure) by `time_s`: what a failure at that time met.
    A death stamped in whole seconds is before or at the failure it caused."""
    if time_s is None:
        return None
    before = [d for d in found if d.time_s is not None and d.time_s <= time_s + slack]
    return max(before, key=lambda d: d.time_s or 0.0) if before else None
