"""What counts as a failure: each death and failed attempt judged by its cause as Ray reports
it (pipeline/failures.py, docs/failures.md), on hand-made events whose texts are Ray's own."""

from __future__ import annotations

import json
from dataclasses import replace
import shutil
from pathlib import Path
from typing import Any

from flowinsight.model.events import ActorUpdate, FailureNote, JobUpdate
from flowinsight.pipeline.failures import death_category, exit_type, headline, judge
from flowinsight.result import Attempt

ACTOR = "a1" * 16
JOB = "01000000"
WORKER = "77" * 28
GCS_WORKER_DIED = ("The actor is dead because its worker process has died. Worker exit type: "
                   "{} Worker exit detail: the detail")


def attempt(task: str, node: str, status: str = "FINISHED", error: str = "", message: str = "",
            worker: str = "", number: int = 0, start: int | None = 1_000_000_000,
            end: int | None = 2_000_000_000) -> Attempt:
    return Attempt(task, number, node, "ff" * 20 + JOB, status, error, message, "", worker,
                   None, start, start, end)


def actor(state: str, reason: str = "", cause: str = "", t: float = 1.0,
          pid: int | None = 42, actor_id: str = ACTOR) -> ActorUpdate:
    return ActorUpdate(actor_id, JOB, "Counter", "", state, "", pid, False, cause, reason, t, "")


def job(end_ms: int | None) -> JobUpdate:
    return JobUpdate(JOB, "python x.py", 1, 0, end_ms, end_ms is not None, "")


def note(message: str, t: float = 2.0, worker: str = WORKER,
         label: str = "RAY_WORKER_FAILURE") -> FailureNote:
    return FailureNote("e1", label, message, "ERROR", "RAYLET", JOB, "", worker, 7, t, "", "")


def run(attempts: list[Attempt], updates: list[ActorUpdate] = [],
        notes: list[FailureNote] = [], jobs: list[JobUpdate] = []) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    judged = judge(attempts, [a for a in attempts if a.status == "FAILED"], updates, notes,
                   jobs, lambda t: JOB, lambda j: "main", lambda a: True)
    return ([(f.kind, f.error_type, f.category) for f in judged.failures],
            [(f.kind, f.error_type, f.category) for f in judged.ends])


def test_error_types_of_ray() -> None:
    failures, ends = run([
        attempt("t1", "f", "FAILED", "TASK_EXECUTION_EXCEPTION", "ValueError: x"),
        attempt("t2", "f", "FAILED", "WORKER_DIED"),
        attempt("t3", "f", "FAILED", "TASK_CANCELLED"),
        attempt("t4", "f", "FAILED", "SOME_FUTURE_TYPE"),
    ])
    assert failures == [("task", "TASK_EXECUTION_EXCEPTION", "error"),
                        ("task", "WORKER_DIED", "crash"),
                        ("task", "SOME_FUTURE_TYPE", "unknown")]  # Ray said FAILED
    assert ends == [("task", "TASK_CANCELLED", "intended")]


def test_actor_death_causes() -> None:
    assert death_category("actor_died_error_context:RAY_KILL", "") == "intended"
    assert death_category("actor_died_error_context:OUT_OF_SCOPE", "") == "intended"
    assert death_category("actor_died_error_context:NODE_DIED", "") == "crash"
    assert death_category("actor_died_error_context:WORKER_DIED",
                          GCS_WORKER_DIED.format("INTENDED_SYSTEM_EXIT")) == "intended"
    assert death_category("actor_died_error_context:WORKER_DIED",
                          GCS_WORKER_DIED.format("INTENDED_USER_EXIT")) == "intended"
    assert death_category("actor_died_error_context:WORKER_DIED",
                          GCS_WORKER_DIED.format("SYSTEM_ERROR")) == "crash"
    assert death_category("actor_died_error_context:WORKER_DIED",
                          GCS_WORKER_DIED.format("USER_ERROR")) == "error"
    assert death_category("actor_died_error_context:WORKER_DIED", "") == "crash"
    assert death_category("creation_task_failure_context", "ValueError") == "error"
    assert death_category("oom_context", "") == "crash"
    # an older Ray without `reason`: the GCS's words
    assert death_category("actor_died_error_context",
                          "The actor is dead because it was killed by `ray.kill`.") == "intended"
    # another version's shapes: shown, never a failure on a guess
    assert death_category("actor_died_error_context:NEW_REASON", "x") == "unknown"
    assert death_category("some_new_context", "x") == "unknown"
    assert death_category("actor_died_error_context:WORKER_DIED",
                          GCS_WORKER_DIED.format("NEW_EXIT")) == "unknown"
    assert exit_type("The actor is dead because its owner has died. Owner Id: x Owner worker "
                     "exit type: SYSTEM_ERROR Worker exit detail: y") == ""


def test_tune_trial_stopped_and_ray_kill_are_no_failures() -> None:
    failures, ends = run([], [
        actor("DEAD", "actor_died_error_context:WORKER_DIED",
              GCS_WORKER_DIED.format("INTENDED_SYSTEM_EXIT")),
        actor("DEAD", "actor_died_error_context:RAY_KILL",
              "The actor is dead because it was killed by `ray.kill`.", t=3.0,
              actor_id="a2" * 16),  # another actor: each dies once
    ])
    assert failures == []
    assert ends == [("actor", "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED", "intended"),
                    ("actor", "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL", "intended")]


def test_tasks_of_a_killed_actor_are_not_failures() -> None:
    killed = ("The actor died unexpectedly before finishing this task.\n\tclass_name: Counter\n"
              "The actor is dead because it was killed by `ray.kill`.")
    failures, ends = run(
        [attempt("t1", f"{ACTOR}.listen", "FAILED", "ACTOR_DIED", killed),
         attempt("t2", f"{ACTOR}.listen", "FAILED", "ACTOR_DIED", "The actor died.")],
        [actor("DEAD", "actor_died_error_context:RAY_KILL", "killed by `ray.kill`")])
    assert failures == []
    assert [e[2] for e in ends] == ["intended", "intended", "intended"]

    # a call that was running when its actor was killed can fail WORKER_DIED, no message (Ray
    # Train's SynchronizationActor, ray.kill'ed while a rank waited in broadcast_from_rank_zero):
    # an actor's call runs in the actor's own worker, so the actor's death says why
    failures, ends = run(
        [attempt("t3", f"{ACTOR}.broadcast", "FAILED", "WORKER_DIED", "")],
        [actor("DEAD", "actor_died_error_context:RAY_KILL", "killed by `ray.kill`")])
    assert failures == [] and ends[0] == ("task", "WORKER_DIED", "intended")
    # the same call on an actor whose worker crashed, or with no death recorded: a crash; and
    # a plain task's WORKER_DIED is its own worker's crash, whatever an actor did
    crashed = actor("DEAD", "actor_died_error_context:WORKER_DIED",
                    GCS_WORKER_DIED.format("SYSTEM_ERROR"))
    assert run([attempt("t3", f"{ACTOR}.broadcast", "FAILED", "WORKER_DIED")], [crashed])[0] == [
        ("task", "WORKER_DIED", "crash"),
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED", "crash")]
    assert run([attempt("t3", f"{ACTOR}.broadcast", "FAILED", "WORKER_DIED")])[0] == [
        ("task", "WORKER_DIED", "crash")]
    assert run([attempt("t4", "f", "FAILED", "WORKER_DIED")],
               [actor("DEAD", "actor_died_error_context:RAY_KILL", "killed")])[0] == [
        ("task", "WORKER_DIED", "crash")]


def test_what_dies_with_its_job_is_no_failure() -> None:
    # Ray Data's detached actors, when the session's node stops after the driver ended
    updates = [actor("RESTARTING", t=10.0),
               actor("DEAD", "actor_died_error_context:NODE_DIED",
                     "The actor died because its node has died. Node Id: x", t=10.0)]
    assert run([], updates, jobs=[job(10_400)]) == (
        [], [("actor", "ACTOR_RESTARTING", "intended"),
             ("actor", "ACTOR_DIED_ERROR_CONTEXT:NODE_DIED", "intended")])
    # the same before the job ended, or with no end recorded: crashes
    assert [f[2] for f in run([], updates, jobs=[job(12_000)])[0]] == ["crash", "crash"]
    assert [f[2] for f in run([], updates)[0]] == ["crash", "crash"]
    # a driver that failed did not end normally
    driver = note("driver died", label="RAY_DRIVER_FAILURE", t=9.0)
    assert [f[2] for f in run([], updates, [driver], [job(10_400)])[0]] == [
        "crash", "crash", "crash"]


def test_rays_own_driver_at_the_clusters_stop() -> None:
    # a driver whose job has no EXPORT_DRIVER_JOB where the others have theirs: Ray's own
    # (the GCS exports none of a _ray_internal_ namespace), dead once they had all ended
    other = replace(job(10_400), job_id="02000000")
    driver = note("Driver x died.", label="RAY_DRIVER_FAILURE", t=12.0, worker="")
    assert run([], notes=[driver], jobs=[other]) == ([], [("driver", "RAY_DRIVER_FAILURE",
                                                            "intended")])
    # while another job still ran (no end, or an end after it): a crash
    for jobs in ([other, replace(other, job_id="03000000", is_dead=False, end_ms=None)],
                 [replace(other, end_ms=13_000)]):
        assert run([], notes=[driver], jobs=jobs)[0] == [("driver", "RAY_DRIVER_FAILURE",
                                                          "crash")]
    # a driver with its own driver job is the user's; without any driver job nothing tells
    assert run([], notes=[driver], jobs=[job(10_400)])[0] == [
        ("driver", "RAY_DRIVER_FAILURE", "crash")]
    assert run([], notes=[driver])[0] == [("driver", "RAY_DRIVER_FAILURE", "crash")]


def test_worker_failure_counted_once_with_the_attempt_it_ended() -> None:
    raylet = ("A worker died or was killed while executing a task by an unexpected system "
              "error. To troubleshoot the problem, check the logs for the dead worker. Worker "
              "ID: x Worker IP address: 127.0.0.1 Worker port: 1 Worker PID: 99 Worker exit "
              "type: SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits")
    attempts = [
        # a map task that finished on that worker before: not the one that died
        attempt("done", "map", worker=WORKER, start=500_000_000, end=900_000_000),
        # the attempt that died there: it carries WORKER_DIED (no RUNNING recorded)
        attempt("dead", "crashy", "FAILED", "WORKER_DIED", worker=WORKER, start=None,
                end=2_100_000_000),
        attempt("dead", "crashy", number=1, worker="88" * 28),
    ]
    assert run(attempts, notes=[note(raylet)]) == ([("task", "WORKER_DIED", "crash")], [])


def test_worker_failure_of_an_actor_is_its_restart() -> None:
    attempts = [attempt("ff" * 8 + ACTOR, ACTOR, worker=WORKER)]
    message = "A worker died ... Worker PID: 42 Worker exit type: SYSTEM_ERROR Worker exit detail"
    failures, _ = run(attempts, [actor("RESTARTING", t=2.0), actor("ALIVE", t=3.0)],
                      [note(message)])
    assert failures == [("actor", "ACTOR_RESTARTING", "crash")]


def test_worker_failure_alone_and_intended_exits() -> None:
    alone = note("A worker died ... Worker exit type: SYSTEM_ERROR Worker exit detail: x")
    assert run([], notes=[alone]) == ([("worker", "RAY_WORKER_FAILURE", "crash")], [])
    quiet = note("Worker exit type: INTENDED_USER_EXIT Worker exit detail: exit_actor()")
    assert run([], notes=[quiet]) == ([], [("worker", "RAY_WORKER_FAILURE", "intended")])
    odd = note("Worker exit type: SOMETHING_NEW Worker exit detail: x")
    assert run([], notes=[odd]) == ([], [("worker", "RAY_WORKER_FAILURE", "unknown")])
    older = note("A worker died or was killed while executing a task.")
    assert run([], notes=[older]) == ([("worker", "RAY_WORKER_FAILURE", "crash")], [])


def test_killed_actor_task_judged_by_the_death_it_met() -> None:
    # Phoenix.crash failed ACTOR_UNAVAILABLE two seconds after the actor restarted; the actor
    # died for good (its owner, the driver, ended) later: the restart is the cause
    failed = attempt("t1", f"{ACTOR}.crash", "FAILED", "ACTOR_UNAVAILABLE",
                     "The actor is temporarily unavailable: RpcError: Socket closed",
                     start=None, end=4_500_000_000)
    owner_gone = ("The actor is dead because its owner has died. Owner Id: 01000000ff Owner "
                  "worker exit type: INTENDED_USER_EXIT Worker exit detail: x")
    failures, ends = run([failed], [actor("RESTARTING", t=2.0),
                                    actor("DEAD", "actor_died_error_context:OWNER_DIED",
                                          owner_gone, t=9.0)])
    assert failures == [("task", "ACTOR_UNAVAILABLE", "crash"),
                        ("actor", "ACTOR_RESTARTING", "crash")]
    assert ends == [("actor", "ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED", "intended")]


def test_coverage_explained_by_a_recorded_death() -> None:
    from flowinsight.pipeline.coverage import explain
    from flowinsight.result import Coverage
    cover = Coverage(3, 1, 0, 0, 1, 2, 0, 0, 0)
    attempts = [
        attempt("ff" * 20 + JOB, "main"),
        attempt("t1", "f", "FAILED", "WORKER_DIED", worker=WORKER, start=None),
        attempt("t2", "f", "UNKNOWN", worker="99" * 28, start=None, end=None),
    ]
    # t1's worker died: its missing execution is explained; t2's is not
    assert explain(cover, attempts, frozenset({WORKER}), frozenset(), {"f", "main"}) == \
        Coverage(3, 2, 0, 0, 1, 1, 0, 0, 0)


def test_node_removal_counted_once_with_the_attempts_it_ended() -> None:
    node = "bb" * 28
    died = Attempt("t1", 0, "f", "ff" * 20 + JOB, "FAILED", "NODE_DIED", "node died", node,
                   WORKER, None, 1, 1, 2_000_000_000)
    removed = FailureNote("e2", "RAY_NODE_REMOVED", "Node has been marked dead", "ERROR", "GCS",
                          "", node, "", None, 2.0, "", "")
    assert run([died], notes=[removed]) == ([("task", "NODE_DIED", "crash")], [])
    # a removal no recorded attempt stands for is a failure of its own
    assert run([], notes=[removed]) == ([("node", "RAY_NODE_REMOVED", "crash")], [])


def test_the_headline_is_the_exception_even_when_ray_kept_only_the_tail() -> None:
    # tests/live/workloads/explore3_data_errors.py, Ray 2.60: Ray keeps the tail of a task's
    # error text, which for a Ray Data UDF loses the frames; the message's first line is Ray's
    # prefix "User exception:" and its last lines say how to configure retries
    from conftest import json_of

    capture = Path(__file__).parent / "data" / "data_udf_errors"
    doc = json_of(capture)
    messages = {f["message"] for f in doc["failures"] + doc["ends"] if f["kind"] == "task"}
    assert messages == {"ray.exceptions.UserCodeException: UDF failed to process a data block."}
    plain = ("User exception:\nray::flaky() (pid=1, ip=127.0.0.1)\n  File \"x.py\", line 3, "
             "in flaky\n    raise ValueError(\"no\")\nValueError: no")
    assert headline(plain) == "ValueError: no"
    assert headline("RayTaskError(KeyError): 'k'\nmore") == "RayTaskError(KeyError): 'k'"
    assert headline("The actor died. Worker exit type: SYSTEM_ERROR") == (
        "The actor died. Worker exit type: SYSTEM_ERROR")


def test_an_attempt_still_running_when_its_job_ended_is_no_gap_of_the_capture(
        tmp_path: Path) -> None:
    # tests/live/workloads/explore3_data_limit.py, Ray 2.60 (export events): once limit(1) is
    # reached, Ray Data cancels a pending task (TASK_CANCELLED: intended) and leaves one sleeping
    # until the job ends; Ray records no final state for it (its GCS marks it FAILED at the
    # job's end, in its own store only). The driver ended normally: nothing is missing.
    from conftest import json_of

    capture = Path(__file__).parent / "data" / "data_limit_job_end"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert sorted(t["state"] for t in end["tasks"] if t["type"] == "NORMAL_TASK") == [
        "FAILED", "FINISHED", "RUNNING"]
    doc = json_of(capture)
    cover = doc["summary"]["coverage"]
    assert (cover["ratio"], cover["without_final_state"], cover["complete"]) == (1.0, 0, True)
    assert doc["failures"] == []
    assert [e["error_type"] for e in doc["ends"] if e["kind"] == "task"] == ["TASK_CANCELLED"]
    # without the job's end (no EXPORT_DRIVER_JOB) the same attempt is a gap of the capture
    copy = tmp_path / "capture"
    shutil.copytree(capture, copy)
    for job_file in copy.rglob("event_EXPORT_DRIVER_JOB.log"):
        job_file.unlink()
    assert json_of(copy)["summary"]["coverage"]["without_final_state"] == 1


def test_constructor_error_dependent_task_runtime_env_and_cancels_of_ray_core(
        tmp_path: Path) -> None:
    # tests/live/workloads/explore4_failures.py, Ray 2.60 (export events, no recorder): an
    # actor whose __init__ raises and 2 calls to it, a task given a failed task's ref, a
    # running task cancelled with force=True, a working_dir that does not exist, a task no node
    # can place, cancelled. Ray's State API lists 8 FAILED attempts, 2 of them TASK_CANCELLED.
    from conftest import json_of

    capture = Path(__file__).parent / "data" / "core_failure_causes"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    failed = sorted((t["name"], t["error_type"]) for t in end["tasks"] if t["state"] == "FAILED")
    assert failed == [
        ("Broken.__init__", "TASK_EXECUTION_EXCEPTION"), ("Broken.ping", "ACTOR_DIED"),
        ("Broken.ping", "ACTOR_DIED"), ("after_boom", "TASK_EXECUTION_EXCEPTION"),
        ("boom", "TASK_EXECUTION_EXCEPTION"), ("plain", "RUNTIME_ENV_SETUP_FAILED"),
        ("plain", "TASK_CANCELLED"), ("sleeper", "TASK_CANCELLED")]
    doc = json_of(capture)
    name = _names(doc)
    # the GCS exports the dead Broken twice (at its death and at the job's end): one death,
    # and that death is its constructor's failed attempt, counted once there
    assert sorted((name[f["node"]], f["error_type"], f["category"])
                  for f in doc["failures"]) == [
        ("Broken", "TASK_EXECUTION_EXCEPTION", "error"), ("Broken.ping", "ACTOR_DIED", "error"),
        ("Broken.ping", "ACTOR_DIED", "error"),
        ("after_boom", "TASK_EXECUTION_EXCEPTION", "error"),
        ("boom", "TASK_EXECUTION_EXCEPTION", "error"),
        ("plain", "RUNTIME_ENV_SETUP_FAILED", "error")]
    assert sorted((name[e["node"]], e["error_type"], e["category"]) for e in doc["ends"]) == [
        ("plain", "TASK_CANCELLED", "intended"), ("sleeper", "TASK_CANCELLED", "intended")]
    # after_boom raised nothing itself: its input, boom's return, was boom's error
    assert [f["message"] for f in doc["failures"] if name[f["node"]] == "after_boom"] == [
        "input from boom failed: RuntimeError: boom fails on purpose"]
    # the runtime_env that could not be set up: the attempt never reached a worker, nothing
    # of its execution is missing from the capture
    cover = doc["summary"]["coverage"]
    assert (cover["ratio"], cover["without_execution"], cover["complete"]) == (1.0, 0, True)
    # without its creation attempt's events the actor's death is the failure, once, saying why
    copy = tmp_path / "capture"
    shutil.copytree(capture, copy)
    creation = [t["task_id"] for t in end["tasks"] if t["name"] == "Broken.__init__"][0]
    for task_file in copy.rglob("event_EXPORT_TASK_*.log"):
        lines = task_file.read_text().splitlines(keepends=True)
        task_file.write_text("".join(
            line for line in lines
            if json.loads(line)["event_data"]["task_id"] != _b64(creation)))
    broken = [(f["kind"], f["error_type"], f["message"]) for f in json_of(copy)["failures"]
              if name.get(f["node"]) == "Broken"]
    assert broken == [("actor", "CREATION_TASK_FAILURE_CONTEXT",
                       "ValueError: Broken.__init__ fails on purpose")]


def test_a_running_async_actor_task_cancelled_is_an_intended_end() -> None:
    # tests/live/workloads/explore6_cancel_async.py, Ray 2.60 (export events, no recorder):
    # ray.cancel of 2 naps an async actor is running and of 1 waiting behind its
    # max_concurrency; `waiter` ray.gets a cancelled nap and does not catch it. Ray records the
    # running ones TASK_EXECUTION_EXCEPTION (their coroutine was cancelled: the
    # TaskCancelledError of their own id), the waiting one TASK_CANCELLED. Serve's router
    # cancels a request a full replica rejected the same way (workloads/explore6_serve.py).
    from conftest import json_of

    capture = Path(__file__).parent / "data" / "cancel_async_actor"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    failed = sorted((t["name"], t["error_type"]) for t in end["tasks"] if t["state"] == "FAILED")
    assert failed == [("Sleeper.nap", "TASK_CANCELLED"),
                      ("Sleeper.nap", "TASK_EXECUTION_EXCEPTION"),
                      ("Sleeper.nap", "TASK_EXECUTION_EXCEPTION"),
                      ("waiter", "TASK_EXECUTION_EXCEPTION")]
    doc = json_of(capture)
    name = _names(doc)
    # waiter's TaskCancelledError names the nap's id: it raised it, a real error
    assert [(name[f["node"]], f["error_type"], f["category"]) for f in doc["failures"]] == [
        ("waiter", "TASK_EXECUTION_EXCEPTION", "error")]
    assert sorted((name[e["node"]], e["error_type"], e["category"])
                  for e in doc["ends"] if e["kind"] == "task") == [
        ("Sleeper.nap", "TASK_CANCELLED", "intended"),
        ("Sleeper.nap", "TASK_EXECUTION_EXCEPTION", "intended"),
        ("Sleeper.nap", "TASK_EXECUTION_EXCEPTION", "intended")]
    assert doc["summary"]["failures"]["total"] == 1


def _names(doc: dict[str, Any]) -> dict[str, str]:
    """Node id -> name (a method as Class.method)."""
    names = {n["id"]: n["name"] for kind in ("functions", "actors") for n in doc[kind]}
    names.update({m["id"]: f"{names[m['actorId']]}.{m['name']}" for m in doc["methods"]})
    return names


def _b64(hex_id: str) -> str:
    import base64
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def test_an_actor_dies_once() -> None:
    # DEAD is final (gcs.proto ActorTableData: "permanently dead"); a later DEAD export of the
    # same actor is the same death
    failures, ends = run([], [
        actor("DEAD", "actor_died_error_context:WORKER_DIED",
              GCS_WORKER_DIED.format("SYSTEM_ERROR")),
        actor("DEAD", "actor_died_error_context:WORKER_DIED",
              GCS_WORKER_DIED.format("SYSTEM_ERROR"), t=9.0),
    ])
    assert failures == [("actor", "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED", "crash")] and ends == []


def test_an_actor_never_made_is_one_failure_its_creation_attempt() -> None:
    # tests/live/workloads/explore4_failures2.py, Ray 2.60 (export events, no recorder): Lost's
    # runtime_env cannot be set up (its creation attempt FAILED WORKER_DIED with no text, its
    # death runtime_env_failed_context), a call to it; another Lost no node can place, killed
    # with a call pending (intended); a task whose worker exits (a crash).
    from conftest import json_of

    capture = Path(__file__).parent / "data" / "actor_never_made"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert sorted((t["name"], t["error_type"], t["error_message"][:24]) for t in end["tasks"]
                  if t["state"] == "FAILED") == [
        ("Lost.__init__", "WORKER_DIED", ""), ("Lost.__init__", "WORKER_DIED", ""),
        ("Lost.ping", "ACTOR_DIED", "The actor is dead becaus"),
        ("Lost.ping", "RUNTIME_ENV_SETUP_FAILED", "Could not create the act"),
        ("dies", "WORKER_DIED", "RpcError: RPC error: Soc")]
    doc = json_of(capture)
    name = {k: v.split(" #")[0] for k, v in _names(doc).items()}
    # the creation attempt is the one failure of the actor never made, with its death's text
    no_zip = ("FileNotFoundError: [Errno 2] No such file or directory: "
              "'/home/user/ray-tmp/no_such.zip'")
    assert sorted((name[f["node"]], f["kind"], f["error_type"], f["category"], f["message"])
                  for f in doc["failures"]) == [
        ("Lost", "task", "WORKER_DIED", "error", no_zip),
        ("Lost.ping", "task", "RUNTIME_ENV_SETUP_FAILED", "error", no_zip),
        ("dies", "task", "WORKER_DIED", "crash",
         "RpcError: RPC error: Socket closed rpc_code: 14")]
    assert sorted((e["kind"], e["error_type"], e["category"]) for e in doc["ends"]) == [
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL", "intended"),
        ("task", "ACTOR_DIED", "intended"), ("task", "WORKER_DIED", "intended")]


def test_headline_of_a_failed_input() -> None:
    # Ray's text (ray/exceptions.py) for a task whose argument was a failed task's return
    message = ("User exception:\nray::c() (pid=1, ip=127.0.0.1)\n  At least one of the input "
               "arguments for this task could not be computed:\nray.exceptions.RayTaskError: "
               "ray::b() (pid=1, ip=127.0.0.1)\n  At least one of the input arguments for this "
               "task could not be computed:\nray.exceptions.RayTaskError: ray::a() (pid=1)\n"
               '  File "x.py", line 3, in a\n    raise KeyError("k")\nKeyError: \'k\'')
    assert headline(message) == "input from b failed: KeyError: 'k'"
    # the note cut off by Ray's tail of a long message: the exception alone
    assert headline(message[message.index("ray::a()"):]) == "KeyError: 'k'"
