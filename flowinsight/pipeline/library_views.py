"""Serve's deployments and Tune's trials, from what the logs carry of them: their actors as
Ray names them, and those actors' calls.

- Serve names each replica actor `ServeReplica:<app>:<deployment>`
  (ray.serve._private.common: DeploymentID.to_replica_actor_class_name); requests run as its
  `handle_request*` methods (ray.serve._private.replica: ReplicaActor.handle_request,
  handle_request_streaming, handle_request_with_rejection, handle_request_from_java: what the
  router sends, request_router/replica_wrapper.py). Its other methods are Serve's own: the
  router in a deployment's handle checks a replica's load before it sends a request
  (get_num_ongoing_requests, reserve_slot, release_slot), the controller and the proxies call
  the rest (check_health, reconfigure, ...). A request the replica it was sent to rejects
  (at max_ongoing_requests, handle_request_with_rejection's first answer) is cancelled by the
  router (router.py: "Request was rejected: cancel") and sent again, to another replica or
  later: one request of the caller's, two calls of Ray's. `requests` counts the calls, and
  `cancelled` those of them that ended on purpose unanswered (failures.py: a running async
  call's own TaskCancelledError, TASK_CANCELLED), so under load `requests - cancelled` is
  what the replicas answered or failed; `request_ms` is theirs (a rejected try takes a few
  ms, a request as long as it takes). With Serve's task events off (its default) the
  replicas are there but their calls are not (warnings.events_off says so).
- Tune runs each trial as one trainable actor; a function trainable is wrapped in
  `ImplicitFunc` (ray.tune.trainable.function_trainable), whose repr Ray shows (the function's
  name). Tune calls its `train` once per result it waits for: a function trainable's call
  returns its next reported result, or, once the function returned by itself, one more call
  says it is done, and a function that raised makes its last call fail. So train calls are
  not Tune's iterations (results reported); the logs carry no count of those (Tune keeps its
  results in the trial's own files, result.json and progress.csv under the run's storage
  path, not in Ray's session), and none is made up. A class trainable (a subclass of
  tune.Trainable, as the user named it, or Tune's `ResourceTrainable` subclass of it made by
  tune.with_resources) has no name Tune gives it: its actor is a trial because Tune asked it
  for `get_auto_filled_metrics`, the call Tune's Trial makes on every trial actor it starts
  (ray.tune.experiment.trial: Trial.set_ray_actor), a method of Trainable only.
- An entry is one trial actor, not one trial: Tune runs a trial on a new actor each time it
  starts it again (a trial paused and resumed, as PopulationBasedTraining does at every
  perturbation; a trial retried after a failure, FailureConfig.max_failures), and with
  `reuse_actors` one actor runs several trials in turn (it `reset`s it). Which trial an actor
  ran is in no name or event of Ray's: the trial's id and config go to the actor's
  constructor and `reset` as values, and so does the checkpoint `restore` gets. What the logs
  do say is how each start began (ray.tune.execution.tune_controller: _actor_started): Tune
  calls `get_auto_filled_metrics` once per start, and then `restore` if the trial has a
  checkpoint to go on from (`restores`: a paused trial resumed, a PBT exploit of another
  trial's checkpoint, a retry after a failure once a checkpoint was reported), else `train`
  from the beginning. A reused actor is asked twice per start (_maybe_reuse_cached_actor
  sets the trial's actor, then `reset`, and _on_trial_reset starts it), so `starts` is the
  `get_auto_filled_metrics` calls less the `reset` calls; an actor Tune made for a trial and
  then did not use (it reused another) has none. `starts - restores` summed over the entries
  is the number of trials begun from scratch: each trial once, plus its retries that had no
  checkpoint.
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
    attempts_with,
)

_REPLICA = "ServeReplica:"
_REQUEST = "handle_request"  # a replica's request methods: handle_request, ..._streaming, ...
_TRAINABLES = ("ImplicitFunc",)  # ray.tune.trainable.function_trainable
_TRIAL_START = "get_auto_filled_metrics"  # ray.tune.experiment.trial: Trial.set_ray_actor
_RESTORE = "restore"  # ray.tune.execution.tune_controller: _schedule_trial_restore
_RESET = "reset"  # ray.tune.execution.tune_controller: _schedule_trial_reset (reuse_actors)


def _class_name(actor: Actor) -> str:
    """The class's own name: Ray names an actor's class by its __qualname__
    (PythonFunctionDescriptor.from_class), so a class made inside a function, as Tune's
    ImplicitFunc is inside wrap_function, can come as "wrap_function.<locals>.ImplicitFunc"."""
    return (actor.class_of or actor.class_name).rsplit(".", 1)[-1]


def serve_deployments(actors: Sequence[Actor], nodes: Sequence[Node],
                      attempts: Sequence[Attempt], failures: Sequence[Failure],
                      calls: Sequence[CallFlow] = (),
                      ends: Sequence[Failure] = ()) -> tuple[ServeDeployment, ...]:
    groups: dict[tuple[str, str], list[Actor]] = {}
    for a in actors:
        cls = a.class_of or a.class_name
        if cls.startswith(_REPLICA) and cls.count(":") >= 2:
            app, _, name = cls[len(_REPLICA):].partition(":")
            groups.setdefault((app, name), []).append(a)
    if not groups:
        return ()
    owner = {a.id: name for (_, name), members in groups.items() for a in members}
    requested = {n.id for n in nodes if n.kind is NodeKind.METHOD and n.actor_id in owner
                 and n.name.startswith(_REQUEST)}
    made: dict[str, dict[str, int]] = {}  # requests one deployment sent another
    checked: dict[str, dict[str, int]] = {}  # its router's load checks of the other's replicas
    for c in calls:
        source, target = owner.get(c.source[:32]), owner.get(c.target[:32])
        if source and target and source != target:
            into = made if c.target in requested else checked
            into.setdefault(source, {})
            into[source][target] = into[source].get(target, 0) + c.count
    # the tries that ended on purpose unanswered: their executions are no request's
    unanswered = {(e.task_id, e.attempt) for e in ends if e.kind == "task"}
    out = []
    for (app, name), replicas in sorted(groups.items()):
        ids = {a.id for a in replicas}
        methods = [n for n in nodes if n.kind is NodeKind.METHOD and n.actor_id in ids]
        requests = {n.id for n in methods if n.id in requested}
        out.append(ServeDeployment(
            app=app, name=name, replicas=tuple(a.id for a in replicas),
            states=tuple(a.state for a in replicas),
            calls=sum(n.calls for n in methods),
            requests=sum(n.calls for n in methods if n.id in requests),
            request_ms=dist(a.exec_ms for a in attempts_with(attempts, "node", requests)
                            if (a.task_id, a.attempt) not in unanswered)
            if requests else None,
            failures=sum(1 for f in failures if f.node[:32] in ids),
            calls_to=tuple(sorted(made.get(name, {}).items())),
            load_checks_to=tuple(sorted(checked.get(name, {}).items())),
            cancelled=sum(1 for e in ends if e.kind == "task" and e.node in requests)))
    return tuple(out)


def tune_trials(actors: Sequence[Actor], nodes: Sequence[Node], attempts: Sequence[Attempt],
                failures: Sequence[Failure]) -> tuple[TuneTrial, ...]:
    started = {n.actor_id for n in nodes if n.kind is NodeKind.METHOD and n.name == _TRIAL_START}
    trials = [a for a in actors if _class_name(a) in _TRAINABLES or a.id in started]
    if not trials:
        return ()
    out = []
    for a in trials:
        methods = [n for n in nodes if n.kind is NodeKind.METHOD and n.actor_id == a.id]
        train = {n.id for n in methods if n.name == "train"}
        out.append(TuneTrial(
            actor_id=a.id, trainable=a.class_name, state=a.state,
            train_calls=sum(n.calls for n in methods if n.id in train),
            train_ms=dist(x.exec_ms for x in attempts if x.node in train) if train else None,
            failures=sum(1 for f in failures if f.node[:32] == a.id),
            starts=max(0, sum(n.calls for n in methods if n.name == _TRIAL_START)
                       - sum(n.calls for n in methods if n.name == _RESET)),
            restores=sum(n.calls for n in methods if n.name == _RESTORE)))
    return tuple(out)
