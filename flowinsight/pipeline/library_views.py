"""Serve's deployments and Tune's trials, from what the logs carry of them: their actors as
Ray names them, and those actors' calls.

- Serve names each replica actor `ServeReplica:<app>:<deployment>`
  (ray.serve._private.common: DeploymentID.to_replica_actor_class_name); requests run as its
  `handle_request*` methods. With Serve's task events off (its default) the replicas are
  there but their calls are not (build.py says so).
- Tune runs each trial as one trainable actor; a function trainable is wrapped in
  `ImplicitFunc` (ray.tune.trainable.function_trainable), whose repr Ray shows (the function's
  name); an iteration is a `train` call. A class trainable (a subclass of tune.Trainable, as
  the user named it, or Tune's `ResourceTrainable` subclass of it made by
  tune.with_resources) has no name Tune gives it: its actor is a trial because Tune asked it
  for `get_auto_filled_metrics`, the call Tune's Trial makes on every trial actor it starts
  (ray.tune.experiment.trial: Trial.set_ray_actor), a method of Trainable only.
"""

from __future__ import annotations

from typing import Sequence

from flowinsight.pipeline.stats import dist
from flowinsight.result import (
    Actor,
    Attempt,
    CallFlow,
    Failure,
    Node,
    NodeKind,
    ServeDeployment,
    TuneTrial,
)

_REPLICA = "ServeReplica:"
_TRAINABLES = ("ImplicitFunc",)  # ray.tune.trainable.function_trainable
_TRIAL_START = "get_auto_filled_metrics"  # ray.tune.experiment.trial: Trial.set_ray_actor


def _class_name(actor: Actor) -> str:
    """The class's own name: Ray names an actor's class by its __qualname__
    (PythonFunctionDescriptor.from_class), so a class made inside a function, as Tune's
    ImplicitFunc is inside wrap_function, can come as "wrap_function.<locals>.ImplicitFunc"."""
    return (actor.class_of or actor.class_name).rsplit(".", 1)[-1]


def serve_deployments(actors: Sequence[Actor], nodes: Sequence[Node],
                      attempts: Sequence[Attempt], failures: Sequence[Failure],
                      calls: Sequence[CallFlow] = ()) -> tuple[ServeDeployment, ...]:
    groups: dict[tuple[str, str], list[Actor]] = {}
    for a in actors:
        cls = a.class_of or a.class_name
        if cls.startswith(_REPLICA) and cls.count(":") >= 2:
            app, _, name = cls[len(_REPLICA):].partition(":")
            groups.setdefault((app, name), []).append(a)
    if not groups:
        return ()
    owner = {a.id: name for (_, name), members in groups.items() for a in members}
    made: dict[str, dict[str, int]] = {}
    for c in calls:
        source, target = owner.get(c.source[:32]), owner.get(c.target[:32])
        if source and target and source != target:
            made.setdefault(source, {})
            made[source][target] = made[source].get(target, 0) + c.count
    out = []
    for (app, name), replicas in sorted(groups.items()):
        ids = {a.id for a in replicas}
        methods = [n for n in nodes if n.kind is NodeKind.METHOD and n.actor_id in ids]
        requests = {n.id for n in methods if n.name.startswith("handle_request")}
        out.append(ServeDeployment(
            app=app, name=name, replicas=tuple(a.id for a in replicas),
            states=tuple(a.state for a in replicas),
            calls=sum(n.calls for n in methods),
            requests=sum(n.calls for n in methods if n.id in requests),
            request_ms=dist(a.exec_ms for a in attempts if a.node in requests)
            if requests else None,
            failures=sum(1 for f in failures if f.node[:32] in ids),
            calls_to=tuple(sorted(made.get(name, {}).items()))))
    return tuple(out)


def tune_trials(actors: Sequence[Actor], nodes: Sequence[Node], attempts: Sequence[Attempt],
                failures: Sequence[Failure]) -> tuple[TuneTrial, ...]:
    started = {n.actor_id for n in nodes if n.kind is NodeKind.METHOD and n.name == _TRIAL_START}
    trials = [a for a in actors if _class_name(a) in _TRAINABLES or a.id in started]
    if not trials:
        return ()
    out = []
    for a in trials:
        train = {n.id for n in nodes if n.kind is NodeKind.METHOD and n.actor_id == a.id
                 and n.name == "train"}
        out.append(TuneTrial(
            actor_id=a.id, trainable=a.class_name, state=a.state,
            iterations=sum(n.calls for n in nodes if n.id in train),
            train_ms=dist(x.exec_ms for x in attempts if x.node in train) if train else None,
            failures=sum(1 for f in failures if f.node[:32] == a.id)))
    return tuple(out)
