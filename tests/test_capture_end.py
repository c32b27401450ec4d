"""Captures that end while their job still runs, or whose driver was killed mid-run
(pipeline/capture_end.py, steps/coverage.py), held against Ray's State API of the same moment.

tests/data/copied_mid_run: tests/live/workloads/explore8_midrun.py (Ray 2.60, recorder on), its
session folder copied with `cp -r` by the driver while 2 leaf tasks, the outer task that
submitted them and a Keeper.hold call ran and 6 calls queued, right after the State API dump
`copy` (state_truth.json; every running call waits on a gate file, so nothing moved between
the two). tests/data/driver_killed_mid_run: the same program on a `ray start` cluster, its
driver SIGKILLed at the same point, the cluster stopped 6 s later; state_after_kill.json is
the State API after the kill."""

from __future__ import annotations

import json
import shutil
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from conftest import DATA, cli, json_of, result_of, validated
from flowinsight.render import RenderOptions, renderers

COPY = DATA / "copied_mid_run"
KILLED = DATA / "driver_killed_mid_run"
QUEUED_STATES = {"PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "PENDING_OBJ_STORE_MEM_AVAIL",
                 "PENDING_ARGS_FETCH", "SUBMITTED_TO_WORKER", "PENDING_ACTOR_TASK_ARGS_FETCH",
                 "PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY"}


def _state_api(capture: Path, phase: str) -> Counter[tuple[str, str]]:
    """(name, finished/running/queued) of every attempt Ray's State API listed at `phase`."""
    tasks = json.loads((capture / "state_truth.json").read_text())["phases"][phase]["tasks"]
    return Counter((t["name"].removesuffix(".__init__"),
                    "queued" if t["state"] in QUEUED_STATES else t["state"].lower())
                   for t in tasks)


def _attempts(capture: Path | str) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """flowinsight's JSON with its attempt rows, and the same counts as _state_api: each
    attempt by its node's name and its status, or where it was when the capture ended."""
    doc = validated(renderers()["json"].render(result_of(capture),
                                               RenderOptions(attempts=True)))
    names = {n["id"]: n["name"] for kind in ("functions", "actors") for n in doc[kind]}
    names.update({m["id"]: f"{names[m['actorId']]}.{m['name']}" for m in doc["methods"]})
    return doc, Counter((names[a["node"]], a["at_capture_end"] or a["status"].lower())
                        for a in doc["attempts"] if a["node"] != "main")


def test_a_copy_taken_mid_run_shows_what_ran_and_queued_as_the_state_api_did() -> None:
    doc, states = _attempts(COPY)
    assert states == _state_api(COPY, "copy") == Counter({
        ("quick", "finished"): 4, ("Keeper", "finished"): 1, ("Keeper.ping", "finished"): 1,
        ("outer", "running"): 1, ("leaf", "running"): 2, ("leaf", "queued"): 2,
        ("slow", "queued"): 2, ("Keeper.hold", "running"): 1, ("Keeper.hold", "queued"): 2})
    truth = json.loads((COPY / "state_truth.json").read_text())["phases"]["copy"]
    assert {a["name"]: a["state"] for a in doc["actors"]} == {
        a["class_name"]: a["state"] for a in truth["actors"]} == {"Keeper": "ALIVE"}
    # the driver ran too, its end after the capture
    assert [a["at_capture_end"] for a in doc["attempts"] if a["node"] == "main"] == ["running"]
    assert {a["at_job_end"] for a in doc["attempts"]} == {""}
    # nothing missing, nothing failed: the capture holds all that happened until it was taken
    summary = doc["summary"]
    assert (summary["coverage"]["ratio"], summary["coverage"]["complete"]) == (1.0, True)
    assert doc["failures"] == [] and doc["ends"] == []
    assert summary["warnings"] == [
        "capture ended while job 01000000 ran (no end recorded: a copy taken mid-run, or Ray "
        "stopped before it recorded the end): 4 running and 6 queued then (as Ray last wrote "
        "their states, about once a second), their outcomes after the capture; not failures, not "
        "gaps of the capture"]
    assert [j["end_ms"] for j in summary["jobs"]] == [None]
    assert summary["coverage"]["unfinished"] == [
        {"job_id": "01000000", "at": "capture end", "running": 4, "queued": 6}]
    job_line = cli("analyze", str(COPY)).stdout.decode().splitlines()[0]
    assert job_line.startswith("job 01000000   started ") and \
        ", still running when the capture ended, 16 tasks," in job_line


def test_a_copy_taken_mid_run_passes_check_and_reads_the_same_from_a_tar(tmp_path: Path) -> None:
    done = cli("check", str(COPY), "--max-failures", "0", "--min-coverage", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"ok   min-coverage 1: coverage 1.000 >= 1.000 (complete capture)" in done.stdout
    archive = tmp_path / "copy.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for session in COPY.glob("session_*"):
            tar.add(session, arcname=session.name)
    assert json_of(archive) == json_of(COPY)


def test_without_the_jobs_record_nothing_says_the_job_still_ran(tmp_path: Path) -> None:
    copy = tmp_path / "capture"
    shutil.copytree(COPY, copy)
    for job_file in copy.rglob("event_EXPORT_DRIVER_JOB.log"):
        job_file.unlink()
    cover = json_of(copy)["summary"]["coverage"]
    assert (cover["complete"], cover["without_final_state"], cover["without_execution"]) == (
        False, 11, 6)  # the 10 calls unfinished and the driver, 6 calls never started
    assert cover["unfinished"] == []


def test_a_cut_last_line_of_a_file_being_written_is_skipped_with_its_file(
        tmp_path: Path) -> None:
    copy = tmp_path / "capture"
    shutil.copytree(COPY, copy)
    cut = next(copy.rglob("event_EXPORT_TASK_28864.log"))
    text = cut.read_bytes()
    assert text.endswith(b"\n") and text.count(b"\n") == 21
    cut.write_bytes(text[:-40])  # the driver's file, its last line half written
    done = cli("export", str(copy), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert b"event_EXPORT_TASK_28864.log:21: skipped (truncated" in done.stderr, done.stderr
    doc = orjson.loads(done.stdout)
    assert doc["summary"]["skipped"]["by_reason"] == {"truncated": 1}
    assert doc["summary"]["events"] == json_of(COPY)["summary"]["events"] - 1


def test_a_driver_killed_mid_run_ends_its_job_and_its_calls_with_it() -> None:
    # Ray's records: the raylet's RAY_DRIVER_FAILURE (exit type SYSTEM_ERROR), the GCS's end
    # of the job (is_dead), Keeper's death OWNER_DIED; the State API then lists the calls that
    # ran FAILED, WORKER_DIED "Worker force exited because its job has finished", the queued
    # ones still pending: none of them has a final state in an event file
    after = json.loads((KILLED / "state_after_kill.json").read_text())
    assert Counter((t["name"], t["state"]) for t in after["tasks"]
                   if t["state"] != "FINISHED") == Counter({
        ("Keeper.hold", "FAILED"): 3, ("leaf", "FAILED"): 2, ("outer", "FAILED"): 1,
        ("leaf", "PENDING_NODE_ASSIGNMENT"): 2, ("slow", "PENDING_NODE_ASSIGNMENT"): 2})
    doc, states = _attempts(KILLED)
    assert {a["name"]: a["state"] for a in doc["actors"]} == {
        a["c"]: a["state"] for a in after["actors"]} == {"Keeper": "DEAD"}
    assert states[("leaf", "unknown")] == 4 and states[("Keeper.hold", "unknown")] == 3
    cover = doc["summary"]["coverage"]
    # ended with their job: no gap of the capture (it was 52.9%, 8 attempts "missing")
    assert (cover["ratio"], cover["without_final_state"], cover["without_execution"]) == (
        1.0, 0, 0)
    # Keeper's 3 calls ended with Keeper (its owner, the driver, died); the other 7 with the job
    assert [w for w in doc["summary"]["warnings"] if "unfinished" in w] == [
        "job 01000000 ended with 7 call(s) unfinished (3 running and 4 queued): Ray ends them "
        "with their job (its GCS marks them FAILED, WORKER_DIED, 15 s later, in its own store "
        "only: gcs_mark_task_failed_on_job_done_delay_ms); not failures, not missing from the "
        "capture"]
    assert Counter(a["at_job_end"] for a in doc["attempts"]) == Counter(
        {"": 9, "running": 4, "queued": 4})  # the driver too
    assert not [w for w in doc["summary"]["warnings"] if "capture ended" in w]
    # the driver's death is the failure Ray records, its actor's death with it
    assert sorted((f["kind"], f["error_type"], f["category"]) for f in doc["failures"]) == [
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED", "crash"),
        ("driver", "RAY_DRIVER_FAILURE", "crash")]


def test_the_trace_draws_what_was_running_until_the_capture_or_the_job_ended() -> None:
    """A run still going when the copy was taken (a hung call in a CI job's timeout) is a slice
    up to the capture's last recorded time, its `at_capture_end` in its args; one the job's end
    cut short, up to that end. A run merely without a recorded end is not drawn."""
    for capture, column, ends_at in ((COPY, "at_capture_end", None),
                                     (KILLED, "at_job_end", "job")):
        result = result_of(capture)
        events = orjson.loads(renderers()["trace"].render(result, RenderOptions()))["traceEvents"]
        origin_us = min(e["ts"] for e in events if e["ph"] == "X")
        open_runs = [e for e in events if e["ph"] == "X" and column in e["args"]]
        running = [a for a in result.attempts if getattr(a, column) == "running"]
        assert sorted((e["args"]["task_id"], e["args"]["attempt"]) for e in open_runs) == sorted(
            (a.task_id, a.attempt) for a in running)
        assert {e["args"][column] for e in open_runs} == {"running"}
        assert len({round(e["ts"] + e["dur"], 3) for e in open_runs}) == 1  # one end for all
        if ends_at == "job":  # the job's recorded end, on the trace's clock
            first_start = min(a.start_ns for a in result.attempts if a.start_ns is not None)
            (job,) = result.jobs
            assert job.end_ms is not None
            end_us = open_runs[0]["ts"] + open_runs[0]["dur"]
            assert abs((end_us - origin_us) - (job.end_ms * 1000 - first_start / 1000)) < 1000
    assert len([a for a in result_of(COPY).attempts if a.at_capture_end == "running"]) == 5


def test_the_reports_timeline_draws_what_was_running_to_the_capture_end() -> None:
    """The HTML report's timeline as the trace: the 5 runs going when the copy was taken are
    bars to the capture's end (status 3: timeline.js marks them open and says so)."""
    from flowinsight.render.html.timeline import timeline_data

    result = result_of(COPY)
    bars = timeline_data(result.attempts, {}, result.jobs)["bars"]
    open_bars = [k for k, status in enumerate(bars["status"]) if status == 3]
    assert len(open_bars) == 5 and 4 not in bars["status"]
    assert len({bars["start"][k] + bars["dur"][k] for k in open_bars}) <= 2  # µs rounding
    assert max(bars["start"][k] + bars["dur"][k] for k in range(len(bars["start"]))) == max(
        bars["start"][k] + bars["dur"][k] for k in open_bars)  # the last thing drawn
    killed = result_of(KILLED)
    assert timeline_data(killed.attempts, {}, killed.jobs)["bars"]["status"].count(4) == 4
    # without the jobs (no end to draw them to) only the capture's end remains
    assert timeline_data(result.attempts, {})["bars"]["status"].count(3) == 5


def test_analyze_names_what_was_still_running_longest_first() -> None:
    """What hung when a CI job's timeout took the copy: the calls running then, the longest
    first with how long they had run, and how many waited; the critical path counts them
    until the capture's end."""
    def lines(capture: Path) -> dict[str, str]:
        out = cli("analyze", str(capture), env={"COLUMNS": "400"}).stdout.decode().splitlines()
        return {line[:15].strip(): line[15:] for line in out if line[:15].strip()}

    copy = lines(COPY)
    assert copy["still running"] == (
        "when the capture ended (4 calls, longest first): outer for 817 ms; leaf for 807 ms; "
        "Keeper.hold for 502 ms; 1 more running; 6 queued")
    # the chain that held the job: main, the outer task waiting on its leaves (it was 53.3 µs
    # of `quick`, the calls that happened to end, before they counted)
    assert copy["critical path"] == (
        "3.41 s wall (first start to last end; the 4 calls still running then count until the "
        "end); each step's own execution time: main 3.41 s → outer 817 ms → leaf 807 ms")
    killed = lines(KILLED)
    assert killed["critical path"].endswith("main 5.52 s → outer 3.6 s → leaf 3.59 s")
    assert killed["still running"] == (
        "when their job ended (3 calls, longest first): outer for 3.6 s; leaf for 3.59 s; "
        "leaf for 2.94 s; 4 queued")
