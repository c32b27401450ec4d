"""The hand-written seed-format session (tests/data/seed_session): every shape of schema 2 —
ToString, dotted, Java and C++ descriptors, a multi-dot module, an object read by many tasks,
a get without a put, rotated files, two jobs, a truncated last line and a line that is not JSON."""

from __future__ import annotations

from conftest import DATA, json_of

SEED = DATA / "seed_session"
A1 = "a1" * 12 + "01000000"
JAVA = "b2" * 12 + "01000000"
CPP = "c3" * 12 + "01000000"
WORKER = "d4" * 12 + "01000000"


def test_calls_exactly() -> None:
    doc = json_of(SEED)
    assert {(c["source"], c["target"]): c["count"] for c in doc["callFlows"]} == {
        ("main@01000000", A1): 1,
        ("main@01000000", f"{A1}.put_packet"): 2,
        (f"{A1}.put_packet", "func@01000000"): 1,
        ("main@01000000", JAVA): 1,
        ("main@01000000", f"{JAVA}.increment"): 1,
        ("main@01000000", CPP): 1,
        ("main@01000000", f"{CPP}.Plus1"): 1,
        ("main@01000000", "Plus1@01000000"): 1,
        ("main@01000000", WORKER): 1,
        ("main@01000000", f"{WORKER}.run"): 1,
        ("main@01000000", "consume@01000000"): 3,
        ("main@02000000", "consume@02000000"): 2,
    }


def test_descriptors_become_the_right_nodes() -> None:
    doc = json_of(SEED)
    assert {(a["id"], a["name"], a["language"]) for a in doc["actors"]} == {
        (A1, "Stage", "PYTHON"), (JAVA, "Counter", "JAVA"), (CPP, "Counter", "CPP"),
        (WORKER, "Worker", "PYTHON")}
    functions = {f["id"]: (f["module"], f["name"], f["jobId"]) for f in doc["functions"]}
    assert functions == {
        "main@01000000": ("", "main", "01000000"),
        "main@02000000": ("", "main", "02000000"),
        "func@01000000": ("pkg.sub", "func", "01000000"),  # a normal task, two-part module
        "Plus1@01000000": ("", "Plus1", "01000000"),
        "consume@01000000": ("__main__", "consume", "01000000"),
        "consume@02000000": ("__main__", "consume", "02000000"),
    }
    assert {m["id"]: m["calls"] for m in doc["methods"]} == {
        f"{A1}.put_packet": 2, f"{JAVA}.increment": 1, f"{CPP}.Plus1": 1, f"{WORKER}.run": 1}


def test_transfers_and_bytes() -> None:
    doc = json_of(SEED)
    flows = {(d["source"], d["target"]): d for d in doc["dataFlows"]}
    assert set(flows) == {
        ("main@01000000", "consume@01000000"),
        ("func@01000000", f"{A1}.put_packet"),
        ("consume@01000000", "main@01000000"),
    }
    fan_out = flows[("main@01000000", "consume@01000000")]
    # one 5 MB ray.put object read by three tasks: every get counts
    assert (fan_out["count"], fan_out["bytes"], fan_out["unsized"]) == (3, 15_000_000, 0)
    # 15 MB over 600 ms from the put to the last get
    assert (fan_out["bytes_per_s"], fan_out["speed"]) == (25_000_000.0, "25 MB/s")
    ret = flows[("func@01000000", f"{A1}.put_packet")]
    assert (ret["count"], ret["bytes"], ret["bytes_per_s"], ret["speed"]) == (1, 1000, 10000.0,
                                                                             "10 kB/s")
    # gets without a put: the producer comes from the object id, the size stays unknown
    unknown = flows[("consume@01000000", "main@01000000")]
    assert (unknown["count"], unknown["bytes"], unknown["unsized"], unknown["bytes_per_s"],
            unknown["speed"]) == (3, None, 3, None, "unknown")


def test_bad_lines_are_counted_by_file_and_reason() -> None:
    summary = json_of(SEED)["summary"]
    prefix = "seed_session/session_2026-01-01_00-00-00_000000_100/logs/events/"
    assert summary["skipped"] == {
        "total": 2,
        "by_reason": {"not_json": 1, "truncated": 1},
        "by_file": {prefix + "event_CORE_WORKER_100.log": {"not_json": 1},
                    prefix + "event_CORE_WORKER_200.log": {"truncated": 1}},
    }
    assert summary["truncated_files"] == [prefix + "event_CORE_WORKER_200.log"]
    assert summary["ignored"] == {"label:(none)": 1, "label:RAY_SOMETHING_ELSE": 1}
    assert (summary["files"], summary["lines"], summary["events"], summary["tasks"]) == (7, 30, 26, 16)
    assert [(j["id"], j["tasks"]) for j in summary["jobs"]] == [("01000000", 14), ("02000000", 2)]


def test_failure_labels_are_annotations() -> None:
    notes = json_of(SEED)["failureNotes"]
    assert [(n["label"], n["jobId"], n["pid"], n["severity"]) for n in notes] == [
        ("RAY_WORKER_FAILURE", "01000000", 50, "ERROR")]


def test_job_filter_keeps_one_main() -> None:
    doc = json_of(SEED, job="02000000")
    assert [(c["source"], c["target"], c["count"]) for c in doc["callFlows"]] == [
        ("main", "consume", 2)]
    assert doc["dataFlows"] == []


def test_submission_rate_and_transfer_latency() -> None:
    doc = json_of(SEED)
    calls = {(c["source"], c["target"]): c for c in doc["callFlows"]}
    # three submissions at +110, +111 and +112 ms: 3 over 2 ms
    assert calls[("main@01000000", "consume@01000000")]["per_s"] == 1500.0
    assert calls[("main@01000000", "Plus1@01000000")]["per_s"] is None  # one submission
    flows = {(d["source"], d["target"]): d for d in doc["dataFlows"]}
    # O1 put at +100 ms, read at +500, +600, +700 ms
    assert flows[("main@01000000", "consume@01000000")]["latency_ms"] == {
        "p50": 500.0, "p95": 590.0}
    assert flows[("consume@01000000", "main@01000000")]["latency_ms"] is None
    # no Export API events: the coverage counts what the format records
    cov = doc["summary"]["coverage"]
    assert (cov["tasks"], cov["complete_tasks"], cov["skipped_lines"], cov["complete"]) == (
        16, 16, 2, False)
