"""The Chrome trace, loaded by a real trace consumer: the Chrome DevTools trace engine
(@paulirish/trace_engine, the Performance panel's parser, pinned in node/package-lock.json) run
under Node by node/load_trace.mjs. For every sample the slices the engine puts on its thread
tracks must be exactly the executed task attempts, each fitted into its thread's call tree and
inside the trace's bounds, on threads named as the trace names them.

Needs node and npm; installs the engine with `npm ci` when node/node_modules is missing and
fails (never skips) when it cannot.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import CAPTURES, cli, result_of, sample

NODE_DIR = Path(__file__).resolve().parent / "node"
ENGINE = NODE_DIR / "node_modules" / "@paulirish" / "trace_engine" / "package.json"
PINNED = orjson.loads((NODE_DIR / "package.json").read_bytes())["dependencies"][
    "@paulirish/trace_engine"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: tests/trace needs Node.js (v18+) and npm to load "
                    "the Chrome trace in the Chrome DevTools trace engine; install them (e.g. "
                    "apt-get install nodejs npm) and run `npm ci` in tests/trace/node")
    return path


@pytest.fixture(scope="session")
def node() -> str:
    node = _tool("node")
    if not ENGINE.exists():
        npm = _tool("npm")
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                              capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0 or not ENGINE.exists():
            pytest.fail(f"`npm ci` in {NODE_DIR} failed ({proc.returncode}):\n"
                        f"{proc.stdout}\n{proc.stderr}")
    installed = orjson.loads(ENGINE.read_bytes())["version"]
    assert installed == PINNED, (
        f"node_modules holds trace_engine {installed}, package.json pins {PINNED}: "
        "run `npm ci` in tests/trace/node")
    return node


def load(node: str, trace: Path) -> dict[str, Any]:
    proc = subprocess.run([node, str(NODE_DIR / "load_trace.mjs"), str(trace)],
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    found: dict[str, Any] = orjson.loads(proc.stdout)
    return found


@pytest.mark.parametrize("name", CAPTURES + ("recorded/sage_pipeline",))
def test_engine_finds_one_slice_per_executed_attempt(name: str, node: str,
                                                     tmp_path: Path) -> None:
    trace = tmp_path / "sample.trace.json"
    proc = cli("export", str(sample(name)), "--format", "trace", "-o", str(trace))
    assert proc.returncode == 0, proc.stderr
    found = load(node, trace)
    assert found["engine"] == PINNED
    # no TracingStartedInBrowser/TracingStartedInPage/CpuProfile: the engine treats it as a
    # generic trace and keeps processes that have no page URL
    assert found["traceIsGeneric"] is True

    result = result_of(sample(name))
    executed = sorted((a.task_id, a.attempt) for a in result.attempts if a.exec_ms is not None)
    slices = found["slices"]
    assert executed, "the sample has executed attempts"
    assert sorted((s["task_id"], s["attempt"]) for s in slices) == executed
    assert all(s["cat"] == "task" and s["dur"] >= 0 for s in slices)
    # each slice is in its thread's call tree (the flame chart draws only those)...
    assert [s for s in slices if not s["inTree"]] == []
    # ...and inside the trace's bounds (the engine ignores ts 0 when computing them)
    lo, hi = found["bounds"]["min"], found["bounds"]["max"]
    assert all(lo <= s["ts"] and s["ts"] + s["dur"] <= hi + 1e-6 for s in slices)

    # what the engine read is what flowinsight wrote: same name, time and track per attempt
    events = orjson.loads(trace.read_bytes())["traceEvents"]
    written = {(e["args"]["task_id"], e["args"]["attempt"]): e for e in events if e["ph"] == "X"}
    for s in slices:
        e = written[(s["task_id"], s["attempt"])]
        assert (s["name"], s["ts"], s["dur"], s["pid"], s["tid"], s["status"]) == (
            e["name"], e["ts"], e["dur"], e["pid"], e["tid"], e["args"]["status"])
    # every call arrow is a flow the engine recognised (it binds a flow event to the event of
    # the same ts, pid, tid and category)
    assert found["flows"] == len([e for e in events if e["ph"] == "s"]) == len(
        [e for e in events if e["ph"] == "f"])
    thread_names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
                    if e["ph"] == "M" and e["name"] == "thread_name"}
    engine_threads = {(t["pid"], t["tid"]): t["name"] for t in found["threads"]}
    assert engine_threads == {(s["pid"], s["tid"]): thread_names[(s["pid"], s["tid"])]
                              for s in slices}
    # and the processes as the trace names them: the drivers, each Ray node by its IP and id
    process_names = {e["pid"]: e["args"]["name"] for e in events
                     if e["ph"] == "M" and e["name"] == "process_name"}
    assert {p["pid"]: p["name"] for p in found["processes"]} == process_names


def test_engine_names_each_ray_node_by_its_ip(node: str, tmp_path: Path) -> None:
    """The IP of the node each attempt ran on (EXPORT_NODE), in the name of its process."""
    trace = tmp_path / "lattice_workflow.trace.json"
    proc = cli("export", str(sample("lattice_workflow")), "--format", "trace", "-o", str(trace))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p["name"] for p in load(node, trace)["processes"]) == [
        "Ray node 192.0.2.2 (511804a43eef2650face2fd88310783b2bab70f866e2b64465e054da)",
        "driver"]


def test_engine_finds_every_call_of_the_recorded_pipeline(node: str, tmp_path: Path) -> None:
    trace = tmp_path / "sage.trace.json"
    proc = cli("export", str(sample("recorded/sage_pipeline")), "-o", str(trace))
    assert proc.returncode == 0, proc.stderr
    calls = sum(c.count for c in result_of(sample("recorded/sage_pipeline")).call_flows)
    assert load(node, trace)["flows"] == calls == 215


def test_engine_sees_the_lattice_failure(node: str, tmp_path: Path) -> None:
    trace = tmp_path / "lattice_workflow.trace.json"
    proc = cli("export", str(sample("lattice_workflow")), "--format", "trace", "-o", str(trace))
    assert proc.returncode == 0, proc.stderr
    found = load(node, trace)
    result = result_of(sample("lattice_workflow"))
    failed = [(a.task_id, a.attempt, a.error_type) for a in result.attempts
              if a.exec_ms is not None and a.status == "FAILED"]
    assert [(s["task_id"], s["attempt"], s["error"]) for s in found["slices"]
            if s["status"] == "FAILED"] == failed
    assert [(s["name"], s["error"]) for s in found["slices"] if s["status"] == "FAILED"] == [
        ("run_code_task", "TASK_EXECUTION_EXCEPTION")]


def test_load_trace_fails_loudly(node: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.trace.json"
    bad.write_text('{"traceEvents": 3}')
    proc = subprocess.run([node, str(NODE_DIR / "load_trace.mjs"), str(bad)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and "no traceEvents array" in proc.stderr
    # an event the engine rejects: TracingStartedInBrowser without its frame data
    thrown = tmp_path / "throws.trace.json"
    thrown.write_text('[{"ph": "I", "name": "TracingStartedInBrowser", "cat": "x", '
                      '"pid": 1, "tid": 1, "ts": 5, "args": {}}]')
    proc = subprocess.run([node, str(NODE_DIR / "load_trace.mjs"), str(thrown)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and "the trace engine threw" in proc.stderr
