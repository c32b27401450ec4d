"""Many jobs in one session: `ray start --head`, then four jobs through the Job Submission API
(make the detached actor "keeper"; use it; a driver that raises; one stopped with
`ray job stop`), then two plain drivers of the same head (use "keeper"; kill it), each
workloads/explore4_job.py. flowinsight's answers are held to Ray's State API, dumped by a last
driver (`state_truth.json`).

    .venv/bin/python -m tests.live.test_live_explore4_jobs   # records tests/data/jobs_submitted
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    RECORDER_ENV, REPO, WORKLOADS, base_env, by_label, recorder_lines, run_script, session_dir,
    stop_processes, temp_root,
)
from .test_live_ray_start import RAY_CLI, free_port

SCRIPT = str(WORKLOADS / "explore4_job.py")
SUBMITTED = ("make", "use", "fail", "sleep")


def submit(client: Any, entrypoint: str, submission_id: str) -> str:
    """Submit, waiting for the head's dashboard agent: `ray start` returns before it has
    registered ("No available agent to submit job")."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return str(client.submit_job(entrypoint=entrypoint, submission_id=submission_id))
        except RuntimeError as err:
            if "No available agent" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(1)


def run_session(root: Path, **cluster_env: str) -> dict[str, str]:
    """The session under root; submission id -> its final status as the Job API reports it.
    `cluster_env` is added to the environment of `ray start`."""
    from ray.job_submission import JobSubmissionClient

    # the dashboard agent's HTTP port (52365 by default) too: other clusters may run here
    port, dashboard, agent = free_port(), free_port(), free_port()
    env = base_env(root, FLOWINSIGHT_RECORD="1",
                   RAY_preload_python_modules="flowinsight.recorder.autostart", **cluster_env)
    started = subprocess.run(
        [RAY_CLI, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
         "--num-cpus=2", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
         f"--dashboard-agent-listen-port={agent}",
         "--disable-usage-stats", f"--temp-dir={root / 'ray'}"],
        env=env, cwd=root, capture_output=True, text=True, timeout=120, start_new_session=True)
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    client = JobSubmissionClient(f"http://127.0.0.1:{dashboard}")
    statuses = {}
    for mode in SUBMITTED:
        sid = submit(client, f"{sys.executable} {SCRIPT} {mode}", f"explore4_{mode}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get_job_status(sid)
            if status.is_terminal() or (mode == "sleep" and "sleeping" in client.get_job_logs(sid)):
                break
            time.sleep(0.3)
        if mode == "sleep":
            client.stop_job(sid)
            while not client.get_job_status(sid).is_terminal():
                time.sleep(0.3)
        statuses[sid] = str(client.get_job_status(sid).value)
    driver_env = base_env(root, RAY_ADDRESS=f"127.0.0.1:{port}")
    for mode in ("use", "kill", "truth"):
        done = run_script([SCRIPT, mode], root, driver_env, timeout=90)
        assert done.returncode == 0, done.stderr[-3000:]
    return statuses


@pytest.fixture(scope="module")
def session() -> Iterator[tuple[Path, dict[str, str], dict[str, Any]]]:
    with temp_root() as root:
        try:  # the recorder as docs/recorder.md says for `ray start`: hook and preload
            statuses = run_session(root, RAY_RUNTIME_ENV_HOOK=RECORDER_ENV["RAY_RUNTIME_ENV_HOOK"])
        finally:
            stop_processes(root)
        truth = json.loads((root / "state_truth.json").read_text())["phases"]["end"]
        yield session_dir(root), statuses, truth


def flowinsight(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowinsight", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def export(*args: str) -> dict[str, Any]:
    done = flowinsight("export", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def by_entrypoint(truth: dict[str, Any], word: str) -> str:
    """The job id of the driver whose entrypoint ends with `word` (submitted or plain: the
    first one in job id order)."""
    ids = sorted(j["job_id"] for j in truth["jobs"]
                 if j["job_id"] and str(j["entrypoint"]).endswith(f" {word}"))
    assert ids, word
    return str(ids[0])


def test_the_job_api_saw_what_was_asked(session: tuple[Path, dict[str, str], Any]) -> None:
    _, statuses, _ = session
    assert statuses == {"explore4_make": "SUCCEEDED", "explore4_use": "SUCCEEDED",
                        "explore4_fail": "FAILED", "explore4_sleep": "STOPPED"}


def test_jobs_are_separated_and_named_by_their_entrypoints(
        session: tuple[Path, dict[str, str], Any]) -> None:
    folder, _, truth = session
    jobs = {j["id"]: j["entrypoint"] for j in export(str(folder))["summary"]["jobs"]}
    # every driver Ray lists (submitted jobs by their driver's job id, plain drivers alike)
    expected = {j["job_id"]: j["entrypoint"] for j in truth["jobs"] if j["job_id"]}
    assert jobs == expected


def test_the_job_supervisors_are_internals(session: tuple[Path, dict[str, str], Any]) -> None:
    folder, _, truth = session
    result = export(str(folder))
    supervisors = [a for a in result["actors"] if a["name"] == "JobSupervisor"]
    names = {a["name"] for a in truth["actors"] if a["class_name"] == "JobSupervisor"}
    assert {a["actor_name"] for a in supervisors} == names
    assert len(supervisors) == len(SUBMITTED) and all(a["internal"] for a in supervisors)
    shown = flowinsight("analyze", str(folder))
    assert shown.returncode == 0 and "JobSupervisor" not in shown.stdout
    assert "task events were off" not in shown.stdout  # Ray's choice, not the user's
    assert flowinsight("analyze", str(folder), "--internals").stdout.count("JobSupervisor") >= 4


def test_the_detached_actor_is_one_node_called_from_each_job(
        session: tuple[Path, dict[str, str], Any]) -> None:
    folder, _, truth = session
    result = export(str(folder))
    keeper = [a for a in result["actors"] if a["actor_name"] == "keeper"]
    assert len(keeper) == 1
    adds: dict[str, int] = {}
    for task in truth["tasks"]:  # Ray lists them under the actor's job: the caller is the
        if task["name"] == "Keeper.add":  # parent, a driver (its task id ends with its job)
            caller = task["parent_task_id"][-8:]
            adds[caller] = adds.get(caller, 0) + 1
    drawn = {f["source"].split("@")[1]: f["count"] for f in result["callFlows"]
             if f["target"] == f"{keeper[0]['id']}.add"}
    assert drawn == adds and len(adds) == 3  # make's 3, the submitted use's 1, the plain one's


def test_one_job_selected(session: tuple[Path, dict[str, str], Any]) -> None:
    folder, _, truth = session
    make = by_entrypoint(truth, "make")
    result = export(str(folder), "--job", make)
    assert [j["id"] for j in result["summary"]["jobs"]] == [make]
    # Ray lists every call of the detached actor under its creator's job: each caller kept
    # apart (a driver's task id ends with its job id), never drawn as this job's main
    callers = {t["parent_task_id"][-8:] for t in truth["tasks"] if t["job_id"] == make}
    assert {f["source"].split("@")[1] for f in result["callFlows"]
            if f["source"].startswith("main@")} == callers
    svg = flowinsight("export", str(folder), "--job", make, "--format", "svg")
    assert svg.returncode == 0 and "<svg" in svg.stdout


def test_one_job_keeps_its_calls_to_another_jobs_actor(
        session: tuple[Path, dict[str, str], Any]) -> None:
    # Ray lists the calls under the actor's job, their parent the caller's driver: the
    # caller's view keeps them (pipeline/job_view.py), the actor drawn as the callee it is
    folder, _, truth = session
    use = by_entrypoint(truth, "use")
    result = export(str(folder), "--job", use)
    called = {t["name"] for t in truth["tasks"] if t["parent_task_id"][-8:] == use}
    assert called == {"square", "Keeper.add", "Keeper.total"}
    keeper = next(a["id"] for a in result["actors"] if a["actor_name"] == "keeper")
    assert {(f["source"], f["target"]): f["count"] for f in result["callFlows"]} == {
        ("main", "square"): 1, ("main", f"{keeper}.add"): 1, ("main", f"{keeper}.total"): 1}
    assert [j["id"] for j in result["summary"]["jobs"]] == [use]
    assert result["summary"]["coverage"]["ratio"] == 1.0
    assert not [w for w in result["summary"]["warnings"] if "task events were off" in w]


def test_the_stopped_job_and_the_killed_actor_are_intended(
        session: tuple[Path, dict[str, str], Any]) -> None:
    folder, _, truth = session
    result = export(str(folder))
    sleep = by_entrypoint(truth, "sleep")
    assert not [f for f in result["failures"] if sleep in str(f.get("node"))]
    # the Job API's STOPPED (EXPORT_SUBMISSION_JOB), on the stopped job's driver
    assert [(e["error_type"], e["category"]) for e in result["ends"]
            if e["node"] == f"main@{sleep}"] == [("JOB_STOPPED", "intended")]
    keeper = next(a["id"] for a in result["actors"] if a["actor_name"] == "keeper")
    assert [e["category"] for e in result["ends"] if keeper in str(e.get("node"))] == ["intended"]


def test_the_failed_job_is_a_failure(session: tuple[Path, dict[str, str], Any]) -> None:
    # the entrypoint raised: the State API's job FAILED, the Job API's EXPORT_SUBMISSION_JOB
    # says so (JOB_ENTRYPOINT_COMMAND_ERROR), the driver's EXPORT_DRIVER_JOB does not
    folder, _, truth = session
    fail = by_entrypoint(truth, "fail")
    assert {j["job_id"]: j["status"] for j in truth["jobs"]}[fail] == "FAILED"
    result = export(str(folder))
    assert [(f["error_type"], f["category"], f["message"]) for f in result["failures"]
            if f["node"] == f"main@{fail}"] == [
        ("JOB_ENTRYPOINT_COMMAND_ERROR", "error", "RuntimeError: explore4: the driver gives up")]


def test_check_fails_only_on_the_failed_job(
        session: tuple[Path, dict[str, str], Any]) -> None:
    # The dashboard's own driver (the JobSupervisors' owner, namespace _ray_internal_dashboard:
    # Ray exports no driver job of it and lists no such job) may die before the raylet when
    # the cluster is stopped; Ray then records a RAY_DRIVER_FAILURE for it, after every job had
    # ended: the cluster's stop, an intended end (docs/failures.md)
    folder, _, truth = session
    listed = {j["job_id"] for j in truth["jobs"]}
    fail = by_entrypoint(truth, "fail")
    result = export(str(folder))
    assert [(f["kind"], f["node"]) for f in result["failures"]] == [("driver", f"main@{fail}")]
    own = [e for e in result["ends"] if e["error_type"] == "RAY_DRIVER_FAILURE"]
    assert all(e["category"] == "intended" and e["node"].split("@")[1] not in listed
               and e["message"].endswith("the cluster stopped") for e in own), own
    done = flowinsight("check", str(folder), "--max-failures", "0")
    assert done.returncode == 1, done.stdout + done.stderr
    assert flowinsight("check", str(folder), "--max-failures", "1").returncode == 0


def test_submitted_drivers_inherit_the_recorder(
        session: tuple[Path, dict[str, str], Any]) -> None:
    # `ray start` with RAY_RUNTIME_ENV_HOOK and FLOWINSIGHT_RECORD: the JobSupervisor starts
    # each entrypoint with its worker's environment, so each submitted driver records its
    # submissions; the plain drivers here run without the hook and do not
    folder, _, truth = session
    recorded = {s["job_id"] for s in by_label(recorder_lines(folder), "task_submitted")}
    submitted = {j["job_id"] for j in truth["jobs"] if j["type"] == "SUBMISSION"}
    assert submitted <= recorded and not recorded & {
        j["job_id"] for j in truth["jobs"] if j["type"] == "DRIVER"}
    make = by_entrypoint(truth, "make")
    keeper = next(a["id"] for a in export(str(folder))["actors"] if a["actor_name"] == "keeper")
    flows = {(f["source"], f["target"]): f["count"] for f in export(str(folder))["dataFlows"]}
    assert flows[(f"main@{make}", f"{keeper}.add")] == 3  # the three squares it passed


if __name__ == "__main__":
    from .record_samples import keep_logs, path_rewrites

    with temp_root() as root:
        try:
            run_session(root)
        finally:
            stop_processes(root)
        data = REPO / "tests" / "data" / "jobs_submitted"
        kept = keep_logs(session_dir(root), root, data, ("events", "export_events"))
        text = (root / "state_truth.json").read_text()
        for old, new in path_rewrites(root):
            text = text.replace(old, new)
        (data / "state_truth.json").write_text(text)
        print("recorded", kept.relative_to(REPO))
