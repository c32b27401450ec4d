"""Captures taken while Ray still runs, or cut short, held against Ray's State API of the same
moment (workloads/explore8_midrun.py: its running calls wait on a gate file, so the driver's
State API dump `copy` and its copy of the live session folder see the same calls running and
queued; nothing here waits on timing luck):

- the live folder copied (`cp -r`) and tarred mid-run, the run then finishing;
- every process of the session SIGKILLed at once mid-run (what `ray stop --force` does; `ray
  stop` itself would stop every Ray cluster of the machine, other tests' too);
- a `ray start` cluster whose driver is SIGKILLed mid-run, the cluster stopped after;
- a driver that exits without waiting for its calls (Ray ends them with the job).

Needs the `ray-libs` extra (the State API is served by Ray's dashboard); about 20 s each."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .harness import (
    LAUNCHER, RECORDER_ENV, REPO, WORKLOADS, _session_pids, base_env, run_workload, session_dir,
    stop_processes, temp_root)
from .record_library_samples import CALL_SITES, TRUTH_FILE
from .test_live_explore import pytestmark  # noqa: F401

__all__ = ["pytestmark"]

WORKLOAD = "explore8_midrun"
QUEUED_STATES = {"PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "PENDING_OBJ_STORE_MEM_AVAIL",
                 "PENDING_ARGS_FETCH", "SUBMITTED_TO_WORKER", "PENDING_ACTOR_TASK_ARGS_FETCH",
                 "PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY"}
# what the program has running and queued at the copy (2 CPUs)
AT_COPY = Counter({("quick", "finished"): 4, ("Keeper", "finished"): 1,
                   ("Keeper.ping", "finished"): 1, ("outer", "running"): 1,
                   ("leaf", "running"): 2, ("leaf", "queued"): 2, ("slow", "queued"): 2,
                   ("Keeper.hold", "running"): 1, ("Keeper.hold", "queued"): 2})


def state_api(root: Path, phase: str) -> Counter[tuple[str, str]]:
    """(name, finished/running/queued) of every attempt the State API listed at `phase`."""
    tasks = json.loads((root / TRUTH_FILE).read_text())["phases"][phase]["tasks"]
    return Counter((t["name"].removesuffix(".__init__"),
                    "queued" if t["state"] in QUEUED_STATES else t["state"].lower())
                   for t in tasks)


def flowinsight(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowinsight", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def exported(capture: Path) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """flowinsight's JSON with attempt rows, and each attempt by its node's name and its status,
    or where it was when the capture ended, or when its job ended ("ended running")."""
    done = flowinsight("export", str(capture), "--format", "json", "--attempts")
    assert done.returncode == 0, done.stderr[-4000:]
    doc: dict[str, Any] = json.loads(done.stdout)
    names = {n["id"]: n["name"] for kind in ("functions", "actors") for n in doc[kind]}
    names.update({m["id"]: f"{names[m['actorId']]}.{m['name']}" for m in doc["methods"]})
    return doc, Counter((names[a["node"]], a["at_capture_end"] or (
        a["at_job_end"] and f"ended {a['at_job_end']}") or a["status"].lower())
        for a in doc["attempts"] if a["node"] != "main")


def verdict(capture: Path, *rules: str) -> int:
    done = flowinsight("check", str(capture), "--max-failures", "0", *rules)
    assert done.returncode in (0, 1), done.stderr[-4000:]
    return done.returncode


def ended_mid_run(doc: dict[str, Any], running: int, queued: int) -> None:
    cover = doc["summary"]["coverage"]
    assert (cover["ratio"], cover["complete"]) == (1.0, True)
    assert [w for w in doc["summary"]["warnings"] if w.startswith("capture ended")] == [
        "capture ended while job 01000000 ran (no end recorded: a copy taken mid-run, or Ray "
        f"stopped before it recorded the end): {running} running and {queued} queued then (as "
        "Ray last wrote their states, about once a second), their outcomes after the capture; "
        "not failures, not gaps of the capture"]


def test_a_live_folder_copied_and_tarred_mid_run_against_the_state_api() -> None:
    with temp_root() as root:
        run = run_workload(WORKLOAD, root, **CALL_SITES)
        assert state_api(root, "copy") == AT_COPY
        actors = {a["class_name"]: a["state"] for a in json.loads(
            (root / TRUTH_FILE).read_text())["phases"]["copy"]["actors"]}
        copy_doc, copy_states = exported(root / "copy")
        tar_doc, tar_states = exported(root / "copy.tar.gz")
        copy_check = verdict(root / "copy", "--min-coverage", "1")
        tar_check = verdict(root / "copy.tar.gz", "--min-coverage", "1")
        end = state_api(root, "end")
        end_doc, end_states = exported(run.session_dir)
    assert copy_states == tar_states == AT_COPY
    for doc in (copy_doc, tar_doc):
        ended_mid_run(doc, 4, 6)
        assert {a["name"]: a["state"] for a in doc["actors"]} == actors == {"Keeper": "ALIVE"}
        assert doc["failures"] == [] and doc["summary"]["skipped"]["total"] == 0
    assert copy_check == tar_check == 0
    # the finished run: every call finished, no warning of a capture's end
    assert end_states == end and set(s for _, s in end) == {"finished"}
    assert not [w for w in end_doc["summary"]["warnings"] if w.startswith("capture ended")]


def test_every_process_killed_at_once_mid_run() -> None:
    """`ray stop --force`: SIGKILL to all. The raylet may still see some workers die first
    and record RAY_WORKER_FAILURE (SYSTEM_ERROR, "(2) ray stop --force was called" among its
    causes): Ray's record of a crash, the attempt it ended no longer running."""
    with temp_root() as root:
        env = base_env(root, **RECORDER_ENV, **CALL_SITES, EXPLORE8_MODE="hang")
        driver = subprocess.Popen([sys.executable, str(LAUNCHER), str(WORKLOADS / f"{WORKLOAD}.py")],
                                  cwd=root, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            wait_ready(root, driver)
            assert state_api(root, "copy") == AT_COPY
            for pid in _session_pids(root, driver.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            driver.communicate(timeout=60)
        finally:
            stop_processes(root, driver.pid)
        session = session_dir(root)
        doc, states = exported(session)
        check = verdict(session)
    killed = [f for f in doc["failures"]]
    # and the GCS may still see an actor's worker die first: the actor's death (WORKER_DIED),
    # which then stands for that worker's failure (docs/failures.md, "Counted once")
    assert {(f["kind"], f["error_type"], f["category"]) for f in killed} <= {
        ("worker", "RAY_WORKER_FAILURE", "crash"), ("task", "RAY_WORKER_FAILURE", "crash"),
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED", "crash")}
    assert check == (1 if killed else 0)
    # the 10 calls running and queued at the copy: still so when the capture ended; or ended
    # with their job, where the GCS saw the driver die before it was killed itself; or by
    # their worker's recorded death (a failure each; the raylet may record idle ones too)
    left: Counter[str] = Counter()
    for (_, state), n in states.items():
        left[state] += n if state != "finished" else 0
    assert sum(left.values()) == 10
    # an attempt is left without a state only where Ray recorded a death that explains it (a
    # worker's failure, an actor dead): how many such attempts one killed worker leaves
    # depends on what it ran at the kill
    dead_actors = [a["id"] for a in doc["actors"] if a["state"] == "DEAD"]
    unknown = [a for a in doc["attempts"] if a["node"] != "main" and a["status"] == "UNKNOWN"
               and not a["at_capture_end"] and not a["at_job_end"]]
    assert len(unknown) == left["unknown"]
    assert not unknown or killed or dead_actors, unknown
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    said = [w for w in doc["summary"]["warnings"] if w.startswith("capture ended")
            or w.startswith("job 01000000 ended with")]
    assert len(said) == (left["running"] + left["queued"] > 0) + (
        left["ended running"] + left["ended queued"] > 0)


def wait_ready(root: Path, driver: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while not (root / "ready").exists():
        assert driver.poll() is None, f"the driver ended: {driver.stderr.read() if driver.stderr else ''}"
        assert time.monotonic() < deadline, "the driver did not reach its copy"
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_ray_start_clusters_driver_killed_mid_run() -> None:
    """SIGKILL of the driver (a CI job's timeout): the raylet writes RAY_DRIVER_FAILURE, the
    GCS ends the job (is_dead) and kills its workers; its actor dies OWNER_DIED. Ray's State
    API then lists the calls that ran FAILED, WORKER_DIED "its job has finished"."""
    with temp_root() as root:
        port = free_port()
        env = base_env(root, **RECORDER_ENV, **CALL_SITES)
        ports = [f"--{name}={free_port()}" for name in (
            "dashboard-port", "dashboard-agent-listen-port", "dashboard-agent-grpc-port",
            "metrics-export-port", "ray-client-server-port", "runtime-env-agent-port")]
        try:
            started = subprocess.run(
                [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--port={port}",
                 "--node-ip-address=127.0.0.1", "--num-cpus=2", "--disable-usage-stats",
                 f"--temp-dir={root / 'ray'}", *ports], env=env, cwd=root, capture_output=True,
                text=True, timeout=120, start_new_session=True)
            assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
            address = f"127.0.0.1:{port}"
            driver = subprocess.Popen(
                [sys.executable, str(WORKLOADS / f"{WORKLOAD}.py")], cwd=root,
                env=base_env(root, **RECORDER_ENV, **CALL_SITES, EXPLORE8_MODE="hang",
                             RAY_ADDRESS=address),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                start_new_session=True)
            wait_ready(root, driver)
            assert state_api(root, "copy") == AT_COPY
            driver.send_signal(signal.SIGKILL)
            driver.communicate(timeout=60)
            after = after_kill(root, address)
        finally:
            stop_processes(root)
        session = session_dir(root)
        doc, states = exported(session)
        check = verdict(session)
    assert after["jobs"] == ["SUCCEEDED"]  # the GCS ended the job, the driver's death aside
    # the queued ones are marked FAILED too, gcs_mark_task_failed_on_job_done_delay_ms (15 s)
    # after the job's end: this listing may be before or after
    unfinished = Counter(s for s in after["states"] if s != "FINISHED")
    assert set(unfinished) <= {"FAILED", "PENDING_NODE_ASSIGNMENT"}
    assert unfinished["FAILED"] >= 6 and sum(unfinished.values()) == 10
    # none of the 10 unfinished calls is a failure or a gap: they ended with their job, or
    # with Keeper, dead with its owner (the driver)
    ended: Counter[str] = Counter()
    for (_, state), n in states.items():
        ended[state] += n if state.startswith("ended") else 0
    ended = +ended
    assert sum(ended.values()) + states[("Keeper.hold", "unknown")] == 10
    assert [w for w in doc["summary"]["warnings"] if "unfinished" in w] == [
        f"job 01000000 ended with {sum(ended.values())} call(s) unfinished ("
        + " and ".join(f"{n} {s.split()[1]}" for s, n in sorted(ended.items(), reverse=True))
        + "): Ray ends them with their job (its GCS marks them FAILED, WORKER_DIED, 15 s "
        "later, in its own store only: gcs_mark_task_failed_on_job_done_delay_ms); not "
        "failures, not missing from the capture"]
    cover = doc["summary"]["coverage"]
    assert (cover["ratio"], cover["complete"]) == (1.0, True)
    assert not [w for w in doc["summary"]["warnings"] if w.startswith("capture ended")]
    # Ray's records of the kill: the driver's death and its actor's (owner died). Stopping
    # the cluster (SIGTERM to every process at once, SIGKILL 3 s later) may leave the GCS to
    # find the raylet gone by missed health checks: its RAY_NODE_REMOVED, a crash by its record
    assert sorted((f["kind"], f["error_type"], f["category"]) for f in doc["failures"]
                  if f["kind"] != "node") == [
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED", "crash"),
        ("driver", "RAY_DRIVER_FAILURE", "crash")]
    assert {(f["error_type"], f["category"]) for f in doc["failures"] if f["kind"] == "node"} \
        <= {("RAY_NODE_REMOVED", "crash")}
    assert check == 1


def after_kill(root: Path, address: str) -> dict[str, Any]:
    """The State API once the GCS has ended the killed driver's job (polled, up to 60 s)."""
    code = (
        "import json, sys\n"
        "from ray.util import state\n"
        "a = sys.argv[1]\n"
        "print(json.dumps({'jobs': [str(j.status).split('.')[-1] for j in "
        "state.list_jobs(address=a)], 'states': [t.state for t in "
        "state.list_tasks(address=a, detail=True, limit=1000)]}))\n")
    deadline = time.monotonic() + 60
    while True:
        done = subprocess.run([sys.executable, "-c", code, address], capture_output=True,
                              text=True, timeout=60, cwd=root, env=base_env(root))
        assert done.returncode == 0, done.stderr[-3000:]
        after: dict[str, Any] = json.loads(done.stdout)
        if after["jobs"] == ["SUCCEEDED"] and "RUNNING" not in after["states"]:
            return after
        assert time.monotonic() < deadline, after
        time.sleep(1)


def test_a_driver_that_leaves_its_calls_running() -> None:
    """The driver exits without waiting: its job ends normally, Ray ends the calls still
    running or queued with it (intended: no failure, no gap of the capture)."""
    with temp_root() as root:
        run = run_workload(WORKLOAD, root, **CALL_SITES, EXPLORE8_MODE="leave")
        assert state_api(root, "copy") == AT_COPY
        doc, states = exported(run.session_dir)
        check = verdict(run.session_dir, "--min-coverage", "1")
    assert [j["end_ms"] is not None for j in doc["summary"]["jobs"]] == [True]
    assert states == Counter({(name, state if state == "finished" else f"ended {state}"): n
                              for (name, state), n in AT_COPY.items()})
    assert [w for w in doc["summary"]["warnings"] if "unfinished" in w] == [
        "job 01000000 ended with 10 call(s) unfinished (4 running and 6 queued): Ray ends them "
        "with their job (its GCS marks them FAILED, WORKER_DIED, 15 s later, in its own store "
        "only: gcs_mark_task_failed_on_job_done_delay_ms); not failures, not missing from the "
        "capture"]
    assert doc["failures"] == [] and check == 0
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    assert not [w for w in doc["summary"]["warnings"] if w.startswith("capture ended")]
