"""Failures, each on the graph node it hit, told apart by their cause as Ray reports it.

Every failed attempt, actor death or restart and stock failure label (worker, driver and node
deaths, OOM, fatal checks) gets a category (docs/failures.md):

- "error": the program's own error (TASK_EXECUTION_EXCEPTION, a constructor that raised, a
  worker exit of type USER_ERROR, an unschedulable task, ...);
- "crash": something died unexpectedly (WORKER_DIED, NODE_DIED, OUT_OF_MEMORY, an actor whose
  worker exited with SYSTEM_ERROR, ...);
- "intended": an end someone asked for or the normal end of a job (`ray.kill`, an actor out of
  scope, INTENDED_USER_EXIT / INTENDED_SYSTEM_EXIT, TASK_CANCELLED or a running async actor
  task's own TaskCancelledError (ray.cancel), what died with its job once
  the job had ended, the tasks of an actor that was ended on purpose);
- "unknown": a cause this version does not know (another Ray version's enum or text).

Failures are the errors and crashes, and the failed attempts of an unknown error type (Ray
marked the attempt FAILED: that is no guess). An intended end, or a death or worker exit of an
unknown cause, is not a failure: it is kept apart ("ends"), with its raw text.

A worker's or node's failure label is the same event as the failed attempt or actor death it
caused: it is put on the attempt that ran on that worker at that time (the worker id is in both)
and counted once, with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from flowinsight.model.events import INPUT_NOTE as _INPUT_NOTE
from flowinsight.model.events import (JOB_STOPPED, SUBMISSION_JOB, TRAIN_ERRORED, ActorUpdate,
                                       FailureNote, JobUpdate)
from flowinsight.model.ids import actor_of_task, is_actor_creation_task
from flowinsight.pipeline.cancelled_inputs import CANCELLED as _CANCELLED
from flowinsight.pipeline.cancelled_inputs import ended_by_cancelled_input
from flowinsight.pipeline.failure_causes import (
    PROCESS_GONE, Death, driver_worker_id, failure_key, link_causes)
from flowinsight.result import (
    Attempt, Failure, attempt_fields, attempts_with, failed_of, lacking_of)

# The error type of an actor's restart (a death's is its death reason, or ACTOR_DIED)
ACTOR_RESTARTING = "ACTOR_RESTARTING"

ERROR, CRASH, INTENDED, UNKNOWN = "error", "crash", "intended", "unknown"
COUNTED = (ERROR, CRASH)

# common.proto ErrorType: the error types of a failed attempt, by what they mean.
_ERROR_TYPES = {
    INTENDED: (
        "TASK_CANCELLED", "END_OF_STREAMING_GENERATOR",
        "OBJECT_UNRECONSTRUCTABLE_TASK_CANCELLED",
    ),
    ERROR: (
        "TASK_EXECUTION_EXCEPTION", "ACTOR_CREATION_FAILED", "RUNTIME_ENV_SETUP_FAILED",
        "DEPENDENCY_RESOLUTION_FAILED", "TASK_PLACEMENT_GROUP_REMOVED",
        "ACTOR_PLACEMENT_GROUP_REMOVED", "TASK_UNSCHEDULABLE_ERROR",
        "ACTOR_UNSCHEDULABLE_ERROR", "OBJECT_FREED",
    ),
    CRASH: (
        "WORKER_DIED", "ACTOR_DIED", "OBJECT_UNRECONSTRUCTABLE", "OBJECT_LOST", "OWNER_DIED",
        "OBJECT_DELETED", "OBJECT_UNRECONSTRUCTABLE_MAX_ATTEMPTS_EXCEEDED",
        "OBJECT_UNRECONSTRUCTABLE_LINEAGE_EVICTED", "OBJECT_FETCH_TIMED_OUT",
        "LOCAL_RAYLET_DIED", "OUT_OF_DISK_ERROR", "OUT_OF_MEMORY", "NODE_DIED",
        "ACTOR_UNAVAILABLE", "GENERATOR_TASK_FAILED_FOR_OBJECT_RECONSTRUCTION",
        "OBJECT_UNRECONSTRUCTABLE_PUT", "OBJECT_UNRECONSTRUCTABLE_RETRIES_DISABLED",
        "OBJECT_UNRECONSTRUCTABLE_BORROWED", "OBJECT_UNRECONSTRUCTABLE_REF_NOT_FOUND",
        "OBJECT_UNRECONSTRUCTABLE_LINEAGE_DISABLED", "WORKER_STARTUP_FAILED",
        "STREAMING_GENERATOR_REPLAY_INCONSISTENT",
    ),
}
ERROR_TYPE_CATEGORY = {name: cat for cat, names in _ERROR_TYPES.items() for name in names}
# Error types Ray gives an attempt it failed before any worker ran it (its runtime_env, its
# arguments, its placement or its actor could not be had): no execution to record.
_NEVER_RAN_TYPES = frozenset(("RUNTIME_ENV_SETUP_FAILED", "DEPENDENCY_RESOLUTION_FAILED",
                              "TASK_UNSCHEDULABLE_ERROR", "ACTOR_UNSCHEDULABLE_ERROR",
                              "TASK_PLACEMENT_GROUP_REMOVED", "ACTOR_PLACEMENT_GROUP_REMOVED",
                              "ACTOR_CREATION_FAILED"))
# The ActorDeathCauses of an actor that was never made (its constructor raised, its runtime_env
# could not be set up, no node could place it): its failed creation attempt says it
_CREATION_CONTEXTS = frozenset(("CREATION_TASK_FAILURE_CONTEXT", "RUNTIME_ENV_FAILED_CONTEXT",
                                "ACTOR_UNSCHEDULABLE_CONTEXT"))

# A submitted job's JobErrorType (ray.dashboard.modules.job.common) that is the program's own:
# its entrypoint failed or could not start, or its runtime_env could not be set up. The others
# (the JobSupervisor actor's start, scheduling or death, the driver's node) are crashes.
_JOB_ERRORS = frozenset(("JOB_ENTRYPOINT_COMMAND_ERROR", "JOB_ENTRYPOINT_COMMAND_START_ERROR",
                         "RUNTIME_ENV_SETUP_FAILURE", "JOB_FAILED"))

# common.proto WorkerExitType
EXIT_TYPE_CATEGORY = {"SYSTEM_ERROR": CRASH, "NODE_OUT_OF_MEMORY": CRASH, "USER_ERROR": ERROR,
                      "INTENDED_USER_EXIT": INTENDED, "INTENDED_SYSTEM_EXIT": INTENDED}
# common.proto ActorDiedErrorContext.Reason (WORKER_DIED and OWNER_DIED: by the exit type)
_DIED_REASON_CATEGORY = {"RAY_KILL": INTENDED, "OUT_OF_SCOPE": INTENDED,
                         "REF_DELETED": INTENDED, "NODE_DIED": CRASH}
# common.proto ActorDeathCause contexts other than actor_died_error_context
_CONTEXT_CATEGORY = {"creation_task_failure_context": ERROR,
                     "runtime_env_failed_context": ERROR,
                     "actor_unschedulable_context": ERROR, "oom_context": CRASH}
# The GCS's texts for the same reasons (gcs_actor_manager.cc), for versions without `reason`.
_DEATH_TEXTS = (
    ("killed by `ray.kill`", INTENDED),
    ("all references to the actor were removed", INTENDED),
    ("its node has died", CRASH),
)
_EXIT_TYPE = re.compile(r"(?<!Owner )[Ww]orker exit type: ([A-Z_]+)")
_OWNER_EXIT_TYPE = re.compile(r"Owner worker exit type: ([A-Z_]+)")
_LABEL_KIND = {"RAY_WORKER_FAILURE": "worker", "RAY_DRIVER_FAILURE": "driver",
               "RAY_NODE_REMOVED": "node", "Out of Memory": "oom",
               "RAY_FATAL_CHECK_FAILED": "fatal", TRAIN_ERRORED: "train"}


# A Python exception as a traceback ends with it: `[module.]Name: message` (or the bare name),
# the name spelled as Python's own and PEP 8's are (ValueError, ray.exceptions.RayTaskError,
# KeyboardInterrupt, SystemExit, UserWarning).
_EXCEPTION_LINE = re.compile(
    r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning)(?:\(.*\))?(?::\s|$)")


# _CANCELLED finds ray/exceptions.py TaskCancelledError's text, "Task: TaskID(<hex>) was
# cancelled.", as the last exception of an attempt's traceback. ray.cancel of a task an async
# actor is running cancels its coroutine: the CancelledError comes out of the user's code, so
# Ray records the attempt as TASK_EXECUTION_EXCEPTION, not TASK_CANCELLED (Serve's router
# cancels a request a full replica rejected, router.py: "Request was rejected: cancel"). Its own
# id: it was the one cancelled; another task's id: it raised when it waited on a task that was
# cancelled (cancelled_inputs.py: a task that failed because such an input was cancelled).

# RayTaskError's `ray::<name>(` line after _INPUT_NOTE (a dependency's failure): the input
_RAY_TASK = re.compile(r"ray::([^\s(]+)\(")


def headline(message: str) -> str:
    """The line that says what went wrong: the last exception line of a traceback, else a
    traceback's last line, else the first line. Ray keeps only the tail of a long message
    (a task's error text in its task events), so the frames may be gone and the text after
    the exception may go on (Ray Data's UserCodeException says how to configure retries):
    "User exception:\n...ove exception was the direct cause...\nray.exceptions.
    UserCodeException: UDF failed to process a data block.\nFailed to apply UDF ..." says
    `ray.exceptions.UserCodeException: UDF failed to process a data block.`."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    raised = [line for line in lines if _EXCEPTION_LINE.match(line)]
    if raised:
        return _input_failed(lines) + raised[-1]
    if any(line.startswith("Traceback") or line.startswith('File "') for line in lines):
        return lines[-1]
    return lines[0]


def _input_failed(lines: list[str]) -> str:
    """"input from <task> failed: " where Ray says the exception is an argument's, not the
    task's own (RayTaskError's note in place of raise_if_dependency_failed's frame, with the
    failed task's `ray::name()` line after it), else ""."""
    for i, line in enumerate(lines):
        if line.startswith(_INPUT_NOTE):
            for after in lines[i + 1:]:
                found = _RAY_TASK.search(after)
                if found:
                    return f"input from {found.group(1)} failed: "
            return "an input failed: "
    return ""


def exit_type(message: str) -> str:
    """The `Worker exit type: X` a raylet or GCS message names, or ""."""
    found = _EXIT_TYPE.search(message)
    return found.group(1) if found else ""


def _by_exit(name: str, otherwise: str) -> str:
    return EXIT_TYPE_CATEGORY.get(name, UNKNOWN) if name else otherwise


def death_category(reason: str, cause: str) -> str:
    """The category of an actor's death from EXPORT_ACTOR's death_cause: `reason` is
    "<context>[:<reason>]" (ActorUpdate.death_reason), `cause` its message."""
    context, _, code = reason.partition(":")
    if context in _CONTEXT_CATEGORY:
        return _CONTEXT_CATEGORY[context]
    if context != "actor_died_error_context":
        return UNKNOWN
    if code in _DIED_REASON_CATEGORY:
        return _DIED_REASON_CATEGORY[code]
    if code == "WORKER_DIED":
        return _by_exit(exit_type(cause), CRASH)
    if code == "OWNER_DIED":
        owner = _OWNER_EXIT_TYPE.search(cause)
        return _by_exit(owner.group(1) if owner else "", CRASH)
    return _text_category(cause)


def _text_category(message: str) -> str:
    """A death's category from the GCS's own words, where no enum says it."""
    for text, category in _DEATH_TEXTS:
        if text in message:
            return category
    owner = _OWNER_EXIT_TYPE.search(message)
    if owner:
        return _by_exit(owner.group(1), UNKNOWN)
    return _by_exit(exit_type(message), UNKNOWN)


@dataclass(frozen=True, slots=True)
class Judged:
    """Failures (counted) and ends (not failures: intended, or of an unknown cause)."""

    failures: tuple[Failure, ...]
    ends: tuple[Failure, ...]
    # (task id, attempt) of the failed attempts that are not failures, for the node and edge
    # counts to leave out
    not_failed: frozenset[tuple[str, int]]
    # Workers whose death a failure records (a failure label, an attempt that says its process
    # died, an actor that crashed there): Ray loses the last events of a process that dies,
    # so what their attempts lack is explained (coverage.explain). An intended kill of an
    # actor explains only what its last second lacks (lost_to_kill, in `explained`).
    dead_workers: frozenset[str]
    restarted: frozenset[str]  # actors that restarted: their creation ran again
    # attempts whose failure says why they never ran or ran to no record: their actor,
    # worker or node was gone, or they were cancelled; and those whose execution or final
    # state the kill of their actor's or their caller's worker lost (lost_to_kill;
    # coverage.explain, not left unfinished at the capture's or the job's end)
    explained: frozenset[tuple[str, int]] = frozenset()
    # how many calls that left no attempt at all the kill of their caller and their actor
    # explains (lost_unattempted; coverage.explain)
    lost_calls: int = 0


class JobEnds:
    """When each job's driver ended normally (EXPORT_DRIVER_JOB `is_dead` with an end time,
    and no RAY_DRIVER_FAILURE for it): what dies from then on dies with its job."""

    def __init__(self, jobs: Iterable[JobUpdate], notes: Sequence[FailureNote]) -> None:
        failed = {n.job_id for n in notes if n.label == "RAY_DRIVER_FAILURE"}
        self.end_s: dict[str, float] = {}
        for job in jobs:
            if job.is_dead and job.end_ms and job.job_id not in failed:
                old = self.end_s.get(job.job_id)
                end = job.end_ms / 1000
                self.end_s[job.job_id] = end if old is None else min(old, end)

    def over(self, job_id: str) -> bool:
        """Whether the job's driver ended normally."""
        return job_id in self.end_s

    def ended(self, job_id: str, time_s: float | None) -> bool:
        end = self.end_s.get(job_id)
        # The actor events' time has whole seconds: the second the job ended counts.
        return end is not None and time_s is not None and time_s >= int(end)


# Why a death of Ray's own driver is no failure (ClusterStop), said after Ray's text
CLUSTER_STOPPED = "Ray's own driver (no driver job of its own), after every job had ended: " \
    "the cluster stopped"


class ClusterStop:
    """Whether a driver's death is the end of Ray's own driver with the cluster.

    The raylet writes RAY_DRIVER_FAILURE when a driver's connection closes without the
    driver's disconnect (NodeManager::DisconnectClient, exit type SYSTEM_ERROR): the driver
    process is gone. The dashboard runs a driver of its own (`ray.init(namespace=
    "_ray_internal_dashboard")`: the JobManager's, which starts the JobSupervisor of each
    submitted job), and `ray stop` ends the dashboard with the raylet, so that death is
    recorded or not as the two go down. The GCS exports no driver job of a job in a
    `_ray_internal_` namespace (GcsJobManager::WriteDriverJobExportEvent): a driver without an
    EXPORT_DRIVER_JOB where the other jobs have theirs is Ray's own. Its death once every one
    of those jobs had ended (`is_dead`, their end by the second of the death) is the cluster's
    stop: intended. Before that (a job still running), or without any driver job to tell, it
    is the crash it says."""

    def __init__(self, jobs: Sequence[JobUpdate]) -> None:
        self.known: set[str] = set()
        self.end_s: dict[str, float] = {}
        for job in jobs:
            self.known.add(job.job_id)
            if job.is_dead and job.end_ms:
                self.end_s[job.job_id] = max(self.end_s.get(job.job_id, 0), job.end_ms / 1000)

    def ended_with_cluster(self, note: FailureNote) -> bool:
        if not note.job_id or note.job_id in self.known or note.time_s is None \
                or not self.known:
            return False
        # the driver events carry whole seconds: the second a job ended counts
        return all(job in self.end_s and int(self.end_s[job]) <= note.time_s
                   for job in self.known)


def judge(attempts: Sequence[Attempt], failed: Iterable[Attempt],
          updates: Sequence[ActorUpdate], notes: Sequence[FailureNote],
          jobs: Iterable[JobUpdate], job_of: Callable[[str], str],
          driver_node: Callable[[str], str], actor_kept: Callable[[str], bool],
          every_job: Sequence[JobUpdate] | None = None, raylets_read: bool = False,
          unexecuted: frozenset[tuple[str, int]] = frozenset(),
          bare_calls: Iterable[tuple[str, str, float]] = ()) -> Judged:
    """Every failure of the session, judged. `attempts` all of them, `failed` the FAILED ones
    (AttemptTable.failed), `job_of` a task's job, `driver_node` a job's driver node,
    `actor_kept` whether an actor's failures belong to the result (--group-by class),
    `every_job` the driver jobs of every job read (by default `jobs`: --job's view holds its
    own only), `raylets_read` whether the capture holds the event log of every node's raylet
    (restarts_asked), `unexecuted` the failed attempts whose function never ran
    (cancelled_inputs), `bare_calls` the calls that left no attempt (lost_unattempted)."""
    job_ends = JobEnds(jobs, notes)
    stop = ClusterStop(list(jobs) if every_job is None else every_job)
    actor_list = actor_deaths(updates, job_ends)
    if raylets_read:
        actor_list = restarts_asked(actor_list, notes)
    actor_list = [replace(f, key=failure_key(f)) for f in actor_list]
    actor_ended: dict[str, list[Failure]] = {}  # each actor's deaths and restarts, in order
    for f in actor_list:
        actor_ended.setdefault(f.node, []).append(f)
    counted: list[Failure] = []
    ends: list[Failure] = []
    not_failed: set[tuple[str, int]] = set()
    task_fails: dict[tuple[str, int], Failure] = {}
    failed_by_key = {(a.task_id, a.attempt): a for a in failed}
    for key, a in failed_by_key.items():
        f = _attempt_failure(a, job_ends, job_of, actor_ended)
        task_fails[key] = replace(f, key=failure_key(f))
    for key in ended_by_cancelled_input(attempts, failed_by_key, {
            k for k, f in task_fails.items() if f.category == ERROR}, unexecuted):
        task_fails[key] = replace(task_fails[key], category=INTENDED)
    for f in task_fails.values():
        if f.category in COUNTED or f.category == UNKNOWN:
            counted.append(f)
        else:
            ends.append(f)
            not_failed.add((f.task_id, f.attempt or 0))
    creation_failed = {a.task_id[-32:] for a in failed_by_key.values()
                       if is_actor_creation_task(a.task_id)
                       and (a.task_id, a.attempt) not in not_failed}
    unkept: list[Failure] = []  # not of this view (--group-by class), yet a cause all the same
    for f in actor_list:
        if f.error_type in _CREATION_CONTEXTS and f.node in creation_failed:
            continue  # its creation's failed attempt is this failure: counted once, there
        if not actor_kept(f.node):
            unkept += [f] if f.category in COUNTED else []
            continue
        (counted if f.category in COUNTED else ends).append(f)
    actors_on = _actors_by_worker(attempts, {n.worker_id for n in notes if n.worker_id})
    deaths: list[Death] = []  # the failures that are a process's or a node's death
    by_pid: dict[int | None, set[tuple[str, str]]] | None = None  # made when first wanted
    for f, hit, note in _note_failures(notes, attempts, driver_node, job_ends, stop):
        if f.kind == "train" and f.node and not actor_kept(f.node):
            f = replace(f, node="")  # its worker's actor is not a node of this view
        worker = driver_worker_id(note.job_id) if f.kind == "driver" else note.worker_id
        ray_node = note.node_id if f.kind == "node" else ""
        mine = actors_on.get(note.worker_id, set())
        if hit is not None and (hit.task_id, hit.attempt) in task_fails:
            # the attempt's own failure says it: counted once, with it
            deaths.append(Death(task_fails[(hit.task_id, hit.attempt)].key, f.time_s,
                                worker, ray_node))
            continue
        if hit is None and f.kind == "worker" and _actor_death_near(actor_list, f, mine):
            continue  # the actor's death or restart says it
        if hit is None and f.kind == "worker":
            # a worker that ran an actor and died with none of its calls running: on that
            # actor (its worker id in the actor's attempts, else its pid and node in the
            # actor's EXPORT_ACTOR; the last one if several)
            if by_pid is None:
                by_pid = _actors_by_pid(updates)
            same = {actor for actor, node in by_pid.get(f.pid, ())
                    if not node or not note.node_id or node == note.node_id}
            kept = sorted(a for a in mine or same if actor_kept(a))
            f = replace(f, node=kept[-1] if kept else "")
        f = replace(f, key=failure_key(f, _note_ident(note, worker)))
        if f.category in COUNTED:
            deaths.append(Death(f.key, f.time_s, worker, ray_node))
        (counted if f.category in COUNTED else ends).append(f)
    dead_actors = {f.node for f in actor_list if f.category in COUNTED}
    dead_workers = {n.worker_id for n in notes if n.worker_id}
    dead_workers.update(a.worker_id for a in failed_by_key.values()
                        if a.worker_id and a.error_type in PROCESS_GONE)
    actor_workers: dict[str, set[str]] = {}
    if dead_actors:
        for worker, node in attempt_fields(attempts, "worker_id", "node"):
            if worker and node[:32] in dead_actors:
                dead_workers.add(worker)
                actor_workers.setdefault(node[:32], set()).add(worker)
    # an actor's crash is its worker's death: what it owned died with it (OWNER_DIED)
    deaths += (Death(f.key, f.time_s, worker) for f in actor_list
               if f.category in COUNTED for worker in sorted(actor_workers.get(f.node, ())))
    # linked with the deaths this view leaves out, so that a failure names the same cause in
    # every view (a view without it tells the failure alone)
    linked = link_causes(counted + unkept, failed_by_key, deaths,
                         {u.actor_id: u.node_id for u in updates
                          if u.node_id and u.actor_id in dead_actors})
    counted = linked[:len(counted)]
    restarted = frozenset(f.node for f in actor_list if f.error_type == ACTOR_RESTARTING
                          and (f.category in COUNTED or f.message == RESTART_ASKED))
    explained = frozenset(key for key, f in task_fails.items()
                          if f.category == INTENDED or f.error_type in PROCESS_GONE
                          or f.error_type in _NEVER_RAN_TYPES) | _lost_with_actor(
                              attempts, dead_actors) | lost_to_kill(
                                  attempts, actor_list,
                                  lambda task, t: job_ends.ended(job_of(task), t))
    return Judged(tuple(counted), tuple(ends), frozenset(not_failed),
                  frozenset(dead_workers), restarted, explained,
                  lost_unattempted(bare_calls, actor_list))


def _lost_with_actor(attempts: Sequence[Attempt],
                     dead_actors: set[str]) -> frozenset[tuple[str, int]]:
    """The creation attempts of the actors whose process crashed that have no worker: a
    constructor runs in its actor's own process, and Ray loses the task events a process had
    not yet sent when it dies (a worker sends them about once a second), the execution event,
    which names the worker, with them. The owner's FINISHED still comes, so the attempt is
    there without its execution (an actor that dies within a second of being made)."""
    if not dead_actors:
        return frozenset()
    return frozenset((task_id, number) for task_id, number, worker
                     in attempt_fields(attempts, "task_id", "attempt", "worker_id")
                     if not worker and task_id[-32:] in dead_actors
                     and is_actor_creation_task(task_id))


# The ActorDiedErrorContext.Reasons of an actor whose worker the GCS had killed
# (GcsActorManager::DestroyActor, force_kill): ray.kill (the GCS's text for it where Ray gives
# no reason), its owner's death, its handles deleted, and in some Ray versions its going out
# of scope (others let it exit gracefully, which sends its events: nothing lost to explain)
_KILLED_REASONS = (":RAY_KILL", ":OWNER_DIED", ":REF_DELETED", ":OUT_OF_SCOPE")
_KILL_TEXT = "killed by `ray.kill`"
# How often a worker sends the task events it holds (task_events_report_interval_ms), and a
# second more for the actor events' whole seconds and the clocks of other nodes
_REPORT_S = 1.0
_SLACK_S = 1.0


def _killed_at(deaths: Iterable[Failure]) -> dict[str, float]:
    """Actor id -> when the GCS first recorded it killed by force (whole seconds)."""
    killed: dict[str, float] = {}
    for f in deaths:
        if f.kind == "actor" and f.time_s is not None and (
                f.error_type.endswith(_KILLED_REASONS) or _KILL_TEXT in f.message):
            killed.setdefault(f.node, f.time_s)
    return killed


def lost_unattempted(calls: Iterable[tuple[str, str, float]], deaths: Iterable[Failure]) -> int:
    """How many of the calls that left no attempt at all, only the recorder's submission ((task
    id, caller's task id, submission ms): scan.TableScan.bare_calls), a kill explains: made by
    an actor killed by force within a report interval (and the slack) after, to an actor killed
    so too. The caller's worker held the call's definition and its states, its executor's the
    RUNNING and the span, and neither sent them (lost_to_kill): Serve's controller, killed by
    serve.shutdown right after its last health checks of the proxy, killed with it; Train's
    killed worker threads calling the SynchronizationActor."""
    killed = _killed_at(deaths)
    if not killed:
        return 0

    def lost_by(actor: str, submit_ms: float) -> bool:
        death = killed.get(actor)
        return death is not None and submit_ms / 1000 > int(death) - _REPORT_S - _SLACK_S

    return sum(1 for task_id, caller, submit_ms in calls
               if lost_by(actor_of_task(caller), submit_ms)
               and lost_by(actor_of_task(task_id), submit_ms))


def lost_to_kill(attempts: Sequence[Attempt], deaths: Sequence[Failure],
                 with_job: Callable[[str, float], bool]) -> frozenset[tuple[str, int]]:
    """The attempts whose missing events the kill of an actor's worker lost: the GCS records
    the actor DEAD, then has the raylet kill its worker by force (CoreWorker::KillActor with
    force_kill: the worker disconnects and quits without flushing its task event buffer, as
    a crash does), so what the worker recorded in its last second reaches no file, nor Ray's
    State API. As the executor of a call, it loses the call's RUNNING and execution span
    (the caller's FINISHED comes); as the caller (a method or a thread of the actor), it
    loses the FINISHED of the calls it made (and their definition: the State API lists none
    of them) while their executors' RUNNING and spans come. Ray Train's worker group
    (ray.kill after `shutdown`: the calls its workers ran, and those their training threads
    made to Ray Data's SplitCoordinator), RLlib's actor manager (its EnvRunners), Ray Data
    (its footer readers; a SplitCoordinator whose owner went) end their actors so, right
    after their last calls. Such an attempt whose last recorded time is within a report
    interval (and the slack) before the death's second, or after it, is explained; what an
    actor lacks from before that stays a gap of the capture. So is a call still running when
    its actor was killed (it never ends: the GCS marks it FAILED, WORKER_DIED, in its own
    store only, GcsTaskManager::MarkTasksFailedOnWorkerDead) whose caller, which would record
    its failure, was killed before, or within a report interval after: Train's rank 0 waiting
    in the SplitCoordinator's start_epoch for a rank that raised, the worker killed first, the
    coordinator when its owner, the DatasetManager, goes. (`with_job(task id, time)`: whether
    the task's job had ended by then; a call whose actor went with its job is one the job's end
    cut short, which capture_end tells as such.)"""
    killed = _killed_at(deaths)
    if not killed:
        return frozenset()

    def lost_by(actor: str, last_ns: int) -> bool:
        death = killed.get(actor)
        return death is not None and last_ns / 1e9 > int(death) - _REPORT_S - _SLACK_S

    def cut_short(task_id: str, caller: str, start_ns: int) -> bool:
        death, gone = killed.get(actor_of_task(task_id)), killed.get(caller)
        return death is not None and gone is not None and death + 1 > start_ns / 1e9 \
            and gone <= death + _REPORT_S + _SLACK_S and not with_job(task_id, death)

    out = set()
    # only an attempt lacking something can be explained: on a table, those alone are made
    for a in lacking_of(attempts):
        ran, final = a.start_ns is not None, a.status != "UNKNOWN"
        last = a.end_ns or a.start_ns or a.pending_ns
        if (ran and final) or last is None:
            continue
        if a.start_ns is not None and a.end_ns is None and not final and cut_short(
                a.task_id, actor_of_task(a.parent_task_id), a.start_ns):
            out.add((a.task_id, a.attempt))
            continue
        if (ran or lost_by(actor_of_task(a.task_id), last)) and (
                final or lost_by(actor_of_task(a.parent_task_id), last)):
            out.add((a.task_id, a.attempt))
    return frozenset(out)


def _attempt_failure(a: Attempt, job_ends: JobEnds, job_of: Callable[[str], str],
                     actor_ended: dict[str, list[Failure]]) -> Failure:
    error_type = a.error_type or "FAILED"
    category = ERROR_TYPE_CATEGORY.get(a.error_type, UNKNOWN)
    if a.error_type == "TASK_EXECUTION_EXCEPTION" and _cancelled_itself(a):
        category = INTENDED  # ray.cancel of a running async actor task: as TASK_CANCELLED
    time_s = a.end_ns / 1e9 if a.end_ns else None
    if a.error_type in ("ACTOR_DIED", "ACTOR_UNAVAILABLE") or (
            a.error_type == "WORKER_DIED" and a.node[:32] in actor_ended):
        # its actor's death or restart at that time says why: ended on purpose, or a crash
        # (an actor's call runs in the actor's own worker: WORKER_DIED is its process ending)
        said = _text_category(a.error_message)
        death = _death_at(actor_ended.get(a.node[:32], []), time_s)
        if said == UNKNOWN:
            said = death.category if death is not None else UNKNOWN
        category = CRASH if said == UNKNOWN else said
        if not a.error_message.strip() and death is not None:
            # Ray left the attempt no text (an actor's creation whose runtime_env failed):
            # its actor's death says what happened
            return Failure("task", a.node, a.task_id, a.attempt, error_type, death.message,
                           time_s, _with_job_end(category, a, job_ends, job_of, time_s))
    return Failure("task", a.node, a.task_id, a.attempt, error_type,
                   headline(a.error_message), time_s,
                   _with_job_end(category, a, job_ends, job_of, time_s))


def _cancelled_itself(a: Attempt) -> bool:
    """The attempt's exception is the TaskCancelledError of its own cancellation."""
    found = _CANCELLED.search(headline(a.error_message))
    return found is not None and found.group(1).lower() == a.task_id.lower()


def _with_job_end(category: str, a: Attempt, job_ends: JobEnds, job_of: Callable[[str], str],
                  time_s: float | None) -> str:
    if category == CRASH and a.error_type in PROCESS_GONE \
            and job_ends.ended(job_of(a.task_id), time_s):
        return INTENDED  # it went with its job, which had ended
    return category


def _death_at(deaths: list[Failure], time_s: float | None) -> Failure | None:
    """Of an actor's deaths and restarts (in time order), the one a task that failed at
    `time_s` met: the last one by then (the actor events carry whole seconds), else the
    first after."""
    if not deaths:
        return None
    if time_s is None:
        return deaths[-1]
    before = [d for d in deaths if d.time_s is not None and d.time_s <= time_s + 1]
    return before[-1] if before else deaths[0]


def actor_deaths(updates: Iterable[ActorUpdate], job_ends: JobEnds) -> list[Failure]:
    """Each actor's deaths and restarts, once each, judged by their death cause. DEAD is
    final (an actor never leaves it), yet the GCS exports a dead actor again (when its job
    ends, when it is cleaned up): only its first DEAD with a cause is its death."""
    out: list[Failure] = []
    seen: set[tuple[str, str, float | None]] = set()
    dead: set[str] = set()
    for up in sorted(updates, key=lambda u: (u.actor_id, u.time_s or 0.0)):
        key = (up.actor_id, up.state, up.time_s)
        if key in seen or up.state not in ("RESTARTING", "DEAD") or up.actor_id in dead:
            continue
        seen.add(key)
        if up.death_reason:
            category = death_category(up.death_reason, up.death_cause)
        elif up.state == "RESTARTING":
            category = CRASH  # Ray restarts an actor after its process died
        else:
            continue  # dead with no cause given: nothing to judge
        if up.state == "DEAD":
            dead.add(up.actor_id)
        if category == CRASH and job_ends.ended(up.job_id, up.time_s):
            category = INTENDED
        error_type = ACTOR_RESTARTING if up.state == "RESTARTING" else (
            up.death_reason.upper() if up.death_reason else "ACTOR_DIED")
        out.append(Failure("actor", up.actor_id, "", None, error_type,
                           headline(up.death_cause), up.time_s, category, up.pid))
    return out


# What a restart without a cause is, where every raylet's event log was read and none of them
# records its worker's failure (restarts_asked)
RESTART_ASKED = ("restarted, no worker failure recorded: its worker exited as intended "
                 "(ray.kill(actor, no_restart=False))")
_NOTE_NEAR_S = 5.0  # a failure label this near a restart may be its cause, whatever it names


def restarts_asked(deaths: list[Failure], notes: Sequence[FailureNote]) -> list[Failure]:
    """The restarts without a cause (the GCS exports none with RESTARTING) that no failure
    label accounts for, as intended. Ray restarts an actor when its worker process is gone
    (GcsActorManager::OnWorkerDead). The raylet writes RAY_WORKER_FAILURE for every worker
    that exits with SYSTEM_ERROR (NodeManager::DisconnectClient), the GCS RAY_NODE_REMOVED for
    a node that died, the memory monitor `Out of Memory` for the worker it kills; a worker
    that exits as intended (INTENDED_SYSTEM_EXIT: `ray.kill(actor, no_restart=False)`, whose
    actor Ray then restarts) leaves none. So where the capture holds every raylet's event log,
    a restart that no such label names (the worker's pid in Ray's message) nor comes near in
    time was asked for. Without those logs nothing tells the two apart: a crash, as before."""
    out = []
    for d in deaths:
        if d.error_type == ACTOR_RESTARTING and d.category == CRASH and not d.message \
                and d.time_s is not None and not any(_may_explain(n, d) for n in notes):
            d = replace(d, category=INTENDED, message=RESTART_ASKED)
        out.append(d)
    return out


def _may_explain(note: FailureNote, restart: Failure) -> bool:
    if note.label not in _LABEL_KIND or note.label == TRAIN_ERRORED:
        return False
    pid = _PID.search(note.message)
    if pid and restart.pid is not None and int(pid.group(1)) == restart.pid:
        return True
    return note.time_s is None or restart.time_s is None \
        or abs(note.time_s - restart.time_s) <= _NOTE_NEAR_S


def _actors_by_worker(attempts: Sequence[Attempt], workers: set[str]) -> dict[str, set[str]]:
    """The actors whose creation or methods ran on each of these workers."""
    out: dict[str, set[str]] = {}
    if workers:
        for worker, node in attempt_fields(attempts, "worker_id", "node"):
            if worker in workers and _ACTOR_NODE.match(node):
                out.setdefault(worker, set()).add(node[:32])
    return out


def _actors_by_pid(updates: Sequence[ActorUpdate]) -> dict[int | None, set[tuple[str, str]]]:
    """The actors (and their Ray node) by the worker pid their EXPORT_ACTOR names: a pid is
    its process's on its node only."""
    out: dict[int | None, set[tuple[str, str]]] = {}
    for u in updates:
        if u.pid:
            out.setdefault(u.pid, set()).add((u.actor_id, u.node_id))
    return out


_ACTOR_NODE = re.compile(r"[0-9a-f]{32}(\.|$)")


def _actor_death_near(deaths: list[Failure], note: Failure, mine: set[str]) -> bool:
    """A worker's failure label whose worker was an actor's, at that actor's death or
    restart (the same worker id ran the actor, or Ray's message names the actor's pid)."""
    if note.time_s is None:
        return False
    return any(
        (d.node in mine or (note.pid is not None and d.pid == note.pid))
        and d.time_s is not None and abs(d.time_s - note.time_s) <= 2 for d in deaths)


_PID = re.compile(r"Worker PID: (\d+)")


def _note_ident(note: FailureNote, worker: str) -> str:
    """What a failure label is the death of, for its key: its worker (a driver's: its job's
    driver id), its node, its job or submission, the actor it names, else its event."""
    return worker or note.node_id or note.job_id or note.submission_id or note.actor_id \
        or note.event_id


def _note_failures(notes: Iterable[FailureNote], attempts: Sequence[Attempt],
                   driver_node: Callable[[str], str], job_ends: JobEnds,
                   stop: ClusterStop) -> list[tuple[Failure, Attempt | None, FailureNote]]:
    """Each failure label, with the attempt it stands for when one is found: the failed
    attempt on that worker that its death ended, else the one running there at the time."""
    notes = list(notes)
    if not notes:
        return []
    by_worker: dict[str, list[Attempt]] = {}
    on_node: dict[str, list[Attempt]] = {}  # the attempts a node's death failed
    wanted = {n.worker_id for n in notes if n.worker_id}
    nodes = {n.node_id for n in notes if n.node_id and _LABEL_KIND.get(n.label) == "node"}
    # _attempt_at picks none that finished: a worker that ran thousands of calls before it
    # died has those rows left alone
    for a in attempts_with(attempts, "worker_id", wanted, finished=False) if wanted else ():
        by_worker.setdefault(a.worker_id, []).append(a)
    for a in failed_of(attempts) if nodes else ():
        if a.ray_node_id in nodes and a.error_type in PROCESS_GONE:
            on_node.setdefault(a.ray_node_id, []).append(a)
    out: list[tuple[Failure, Attempt | None, FailureNote]] = []
    for note in notes:
        kind = _LABEL_KIND.get(note.label, "worker")
        exit_name = exit_type(note.message)
        category = _by_exit(exit_name, CRASH)
        hit = _attempt_at(by_worker.get(note.worker_id, []), note.time_s)
        if hit is None and kind == "node":
            # a node's removal is the failure of the attempts it ended there: it stands for the
            # first of them (a node dies once, its id is never reused; the GCS stamps the
            # removal in whole seconds, the owners each failure as they learn of it), so that
            # what followed from it comes after it
            hit = min(on_node.get(note.node_id, []), default=None,
                      key=lambda a: a.end_ns or a.start_ns or a.pending_ns or 0)
        node = hit.node if hit else ""
        if kind == "driver" and note.job_id:
            node = driver_node(note.job_id)
        if category == CRASH and kind != "driver" and note.job_id \
                and job_ends.ended(note.job_id, note.time_s):
            category = INTENDED
        message = headline(note.message)
        if kind == "driver" and category == CRASH and stop.ended_with_cluster(note):
            category, message = INTENDED, f"{message}: {CLUSTER_STOPPED}"
        pid_text = _PID.search(note.message)
        pid = int(pid_text.group(1)) if pid_text else None
        if kind == "train":
            # the program's own error, raised in a Train worker: on that worker's actor
            category, node, pid = ERROR, note.actor_id, note.pid
        if note.source_type == SUBMISSION_JOB:
            # a submitted job's end: its driver's, on its job's `main` (the job its driver's
            # JobUpdate names the submission of: submitted_jobs), "" when no driver started
            kind, node = "driver", driver_node(note.job_id) if note.job_id else ""
            category = INTENDED if note.label == JOB_STOPPED else \
                ERROR if note.label in _JOB_ERRORS else CRASH
        out.append((Failure(kind, node, hit.task_id if hit else "", hit.attempt if hit else None,
                            note.label, message, note.time_s, category, pid),
                    hit, note))
    return out


def submitted_jobs(notes: Iterable[FailureNote], jobs: Iterable[JobUpdate],
                   selected: str = "") -> list[FailureNote]:
    """The notes, each submitted job's end (EXPORT_SUBMISSION_JOB) once, with the Ray job of
    the driver that ran it: the driver's EXPORT_DRIVER_JOB names its submission
    (config.metadata.job_submission_id). A job that ended before its driver started (its
    runtime_env failed) has none: its end keeps no job. With a `selected` job (--job), only
    that job's end: the read kept every submission's (they name no job)."""
    job_of: dict[str, str] = {}
    for job in jobs:
        if job.submission_id:
            job_of.setdefault(job.submission_id, job.job_id)
    out, ended = [], set()
    for note in notes:
        if note.source_type == SUBMISSION_JOB:
            if note.submission_id in ended:
                continue  # the same end written again (a status put twice)
            ended.add(note.submission_id)
            note = replace(note, job_id=job_of.get(note.submission_id, ""))
            if selected and note.job_id != selected:
                continue
        out.append(note)
    return out


def _attempt_at(candidates: list[Attempt], time_s: float | None) -> Attempt | None:
    """Of a worker's attempts, the one its death ended: a failed attempt that says its process
    died (the nearest in time), else one without a final state, else one running then."""
    dead = [a for a in candidates if a.status == "FAILED" and a.error_type in PROCESS_GONE]
    if dead:
        return min(dead, key=lambda a: _distance(a, time_s))
    lost = [a for a in candidates if a.status == "UNKNOWN"]
    if lost:
        return min(lost, key=lambda a: _distance(a, time_s))
    if time_s is None:
        return None
    t_ns = time_s * 1e9
    running = [a for a in candidates if a.start_ns is not None and a.start_ns <= t_ns + 1e9
               and (a.end_ns is None or a.end_ns >= t_ns - 1e9) and a.status != "FINISHED"]
    return min(running, key=lambda a: _distance(a, time_s)) if running else None


def _distance(a: Attempt, time_s: float | None) -> float:
    if time_s is None:
        return 0.0
    at = a.end_ns or a.start_ns or a.pending_ns
    return abs(at / 1e9 - time_s) if at else float("inf")
