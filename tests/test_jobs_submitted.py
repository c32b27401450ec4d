"""Many jobs in one session (tests/data/jobs_submitted: Ray 2.60, `ray start --head`, then four
jobs through the Job Submission API and three plain drivers of the same head, each
tests/live/workloads/explore4_job.py; recorded by tests/live/test_live_explore4_jobs.py, with
Ray's State API as truth): the jobs apart, named by their entrypoints; Ray's JobSupervisor,
the actor that runs a submitted job's entrypoint, one of Ray's internals; the detached actor
one node, called from three jobs."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, calls_by_label, cli, json_of

CAPTURE = ROOT / "tests" / "data" / "jobs_submitted"
TRUTH: dict[str, Any] = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]


def job_of(word: str) -> str:
    """The first job (in id order) whose driver ran `explore4_job.py <word>`."""
    return str(min(j["job_id"] for j in TRUTH["jobs"] if j["entrypoint"].endswith(f" {word}")))


def test_every_driver_is_a_job_named_by_its_entrypoint() -> None:
    doc = json_of(CAPTURE)
    assert {j["id"]: j["entrypoint"] for j in doc["summary"]["jobs"]} == {
        j["job_id"]: j["entrypoint"] for j in TRUTH["jobs"]}
    assert len(doc["summary"]["jobs"]) == 7  # 4 submitted, 3 plain drivers


def test_the_job_supervisors_are_rays_internals() -> None:
    # Ray's JobManager (in the dashboard's own job, 01000000) runs each submitted entrypoint
    # under a JobSupervisor actor it creates with task events off (job_manager.py)
    doc = json_of(CAPTURE)
    supervisors = [a for a in doc["actors"] if a["name"] == "JobSupervisor"]
    assert sorted(a["actor_name"] for a in supervisors) == sorted(
        a["name"] for a in TRUTH["actors"] if a["class_name"] == "JobSupervisor")
    assert len(supervisors) == 4
    assert all(a["internal"] and a["jobId"] == "01000000" for a in supervisors)
    assert not [w for w in doc["summary"]["warnings"] if "task events were off" in w]
    shown = cli("analyze", str(CAPTURE))
    assert b"JobSupervisor" not in shown.stdout
    assert b"4 nodes of Ray's internals hidden (4 actors;" in shown.stdout
    assert cli("analyze", str(CAPTURE), "--internals").stdout.count(b"JobSupervisor '") == 4


def test_the_detached_actor_is_one_node_called_from_three_jobs() -> None:
    doc = json_of(CAPTURE)
    assert [a["actor_name"] for a in doc["actors"] if a["name"] == "Keeper"] == ["keeper"]
    # Ray lists an actor's tasks under the actor's job; the caller is the parent, here each
    # job's driver (a driver's task id ends with its job id)
    truth = Counter(t["parent_task_id"][-8:] for t in TRUTH["tasks"] if t["name"] == "Keeper.add")
    assert truth == {job_of("make"): 3, job_of("use"): 1, "06000000": 1}
    calls = calls_by_label(doc)
    assert {src.split("@")[1]: n for (src, dst), n in calls.items()
            if dst == "keeper.add"} == dict(truth)


def test_one_job_keeps_the_calls_of_other_jobs_drivers_apart() -> None:
    # Ray puts every task of the detached actor in its creator's job (02000000), whoever
    # called it: with --job 02000000 the calls of the other jobs' drivers are their own, not
    # this job's `main` (which called add 3 times and total never)
    make = job_of("make")
    doc = json_of(CAPTURE, job=make)
    assert [j["id"] for j in doc["summary"]["jobs"]] == [make]
    assert calls_by_label(doc) == {
        (f"main@{make}", "keeper"): 1, (f"main@{make}", "keeper.add"): 3,
        (f"main@{make}", f"square@{make}"): 3,
        ("main@03000000", "keeper.add"): 1, ("main@03000000", "keeper.total"): 1,
        ("main@06000000", "keeper.add"): 1, ("main@06000000", "keeper.total"): 1}
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    # a job that called no other job's actor stays one `main`, no `@<job>`
    sleep = job_of("sleep")
    assert calls_by_label(json_of(CAPTURE, job=sleep)) == {("main", "square"): 1}


def test_one_job_keeps_its_calls_to_another_jobs_actor() -> None:
    # the submitted "use" job called the detached actor that "make" created: Ray lists those
    # calls under the actor's job (02000000), their parent this job's driver (job_view.py)
    use = job_of("use")
    doc = json_of(CAPTURE, job=use)
    assert calls_by_label(doc) == {("main", "square"): 1, ("main", "keeper.add"): 1,
                                   ("main", "keeper.total"): 1}
    assert [j["id"] for j in doc["summary"]["jobs"]] == [use]
    # the actor stays its creator's: in this view a callee, its creation not among the calls
    assert [(a["actor_name"], a["jobId"], a["calls"]) for a in doc["actors"]] == [
        ("keeper", make := job_of("make"), 0)]
    assert make != use and doc["summary"]["coverage"]["ratio"] == 1.0
    assert doc["summary"]["coverage"]["tasks"] == 4  # square, add, total and the driver
    assert not [w for w in doc["summary"]["warnings"] if "task events were off" in w]
    # the plain driver that ran the same workload: the same view
    assert calls_by_label(json_of(CAPTURE, job="06000000")) == calls_by_label(doc)


def test_the_killed_detached_actor_is_an_intended_end() -> None:
    doc = json_of(CAPTURE)
    ends = [e for e in doc["ends"] if e["error_type"].endswith("RAY_KILL")]
    assert [(e["category"], e["node"]) for e in ends] == [
        ("intended", next(a["id"] for a in doc["actors"] if a["actor_name"] == "keeper"))]


def test_the_submitted_jobs_verdicts_are_their_drivers_ends() -> None:
    # EXPORT_SUBMISSION_JOB: "fail"'s entrypoint raised (FAILED, JOB_ENTRYPOINT_COMMAND_ERROR),
    # "sleep" was stopped with stop_job (STOPPED); the other two SUCCEEDED. Their drivers'
    # EXPORT_DRIVER_JOB end alike: only the Job API's event tells them apart.
    doc = json_of(CAPTURE)
    fail, sleep = job_of("fail"), job_of("sleep")
    submitted = [(f["node"], f["error_type"], f["category"], f["message"])
                 for f in doc["failures"] + doc["ends"] if f["kind"] == "driver"
                 and f["error_type"] != "RAY_DRIVER_FAILURE"]  # the dashboard's (below)
    assert submitted == [
        (f"main@{fail}", "JOB_ENTRYPOINT_COMMAND_ERROR", "error",
         "RuntimeError: explore4: the driver gives up"),
        (f"main@{sleep}", "JOB_STOPPED", "intended", "Job was intentionally stopped.")]
    # as Ray's State API (list_jobs) has the submitted jobs
    assert {j["job_id"]: j["status"] for j in TRUTH["jobs"] if j["type"] == "SUBMISSION"} == {
        job_of("make"): "SUCCEEDED", job_of("use"): "SUCCEEDED", fail: "FAILED",
        sleep: "STOPPED"}
    verdict = cli("check", str(CAPTURE), "--job", fail, "--max-failures", "0")
    assert verdict.returncode == 1 and b"JOB_ENTRYPOINT_COMMAND_ERROR" in verdict.stdout
    assert cli("check", str(CAPTURE), "--job", sleep, "--max-failures", "0").returncode == 0


RAYLET_EVENTS = "logs/events/event_RAYLET.log"


def test_the_dashboards_own_driver_ended_with_the_cluster() -> None:
    # `ray stop` ended the dashboard, whose own driver (namespace _ray_internal_dashboard, the
    # JobSupervisors' owner) the raylet then saw die (RAY_DRIVER_FAILURE) three seconds after
    # the last job's end. The GCS exports no driver job of Ray's internal namespaces, and
    # Ray's State API lists none: the driver is Ray's own, its death the cluster's stop
    doc = json_of(CAPTURE)
    assert "01000000" not in {j["job_id"] for j in TRUTH["jobs"]}
    assert [(f["node"], f["category"], f["message"]) for f in doc["ends"]
            if f["error_type"] == "RAY_DRIVER_FAILURE"] == [
        ("main@01000000", "intended", "Driver 01000000" + "f" * 48 + " died. Address: "
         "127.0.0.1:15600, Pid: 1671, JobId: 01000000: Ray's own driver (no driver job of its "
         "own), after every job had ended: the cluster stopped")]
    assert not [f for f in doc["failures"] if f["error_type"] == "RAY_DRIVER_FAILURE"]
    assert cli("check", str(CAPTURE), "--job", "01000000", "--max-failures", "0"
               ).returncode == 0


def _with_driver_failure_at(tmp_path: Path, seconds: int) -> Path:
    """The capture, its raylet's RAY_DRIVER_FAILURE moved to `seconds` (epoch)."""
    copy = tmp_path / "capture"
    shutil.copytree(CAPTURE, copy)
    raylet = next(copy.glob("session_*")) / RAYLET_EVENTS
    lines = []
    for line in raylet.read_text().splitlines():
        event = json.loads(line)
        if event["label"] == "RAY_DRIVER_FAILURE":
            event["timestamp"] = seconds
        lines.append(json.dumps(event))
    raylet.write_text("\n".join(lines) + "\n")
    return copy


def test_the_dashboards_own_driver_dying_while_jobs_run_is_a_crash(tmp_path: Path) -> None:
    # the same death while the plain drivers still ran (06000000 ended at 1796607545.190)
    ends = {j["id"]: j["end_ms"] for j in json_of(CAPTURE)["summary"]["jobs"]}
    assert len(ends) == 7 and all(ends.values())  # EXPORT_DRIVER_JOB: every job's end
    early = ends["06000000"] // 1000 - 2
    doc = json_of(_with_driver_failure_at(tmp_path, early))
    assert [(f["node"], f["category"], f["message"]) for f in doc["failures"]
            if f["error_type"] == "RAY_DRIVER_FAILURE"] == [
        ("main@01000000", "crash", "Driver 01000000" + "f" * 48 + " died. Address: "
         "127.0.0.1:15600, Pid: 1671, JobId: 01000000")]
    # the second the last job ended counts as ended; the one before does not
    last = max(ends.values()) // 1000
    assert [f["category"] for f in json_of(_with_driver_failure_at(tmp_path / "a", last))[
        "ends"] if f["error_type"] == "RAY_DRIVER_FAILURE"] == ["intended"]
    assert [f["category"] for f in json_of(_with_driver_failure_at(tmp_path / "b", last - 1))[
        "failures"] if f["error_type"] == "RAY_DRIVER_FAILURE"] == ["crash"]
