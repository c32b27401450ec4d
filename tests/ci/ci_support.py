"""Helpers for the CI tests: hand-made graph documents with the performance fields, a session
with hostile names, and running Mermaid."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson

from conftest import sample

NODE_DIR = Path(__file__).resolve().parent / "node"

# Everything that could end a label, a table cell or a code span, turn into markup, HTML, a
# Mermaid directive, GitHub math or a terminal escape.
HOSTILE_CLS = 'Cls"<b>&amp;|`x`*_[y](z)$m$'
HOSTILE_ACTOR = 'a %%{init: {"theme":"dark"}}%% #quot; end\x1b[31m\x07 ~~s~~ style:#f00;'


def timing(p50: float, p95: float, count: int = 10) -> dict[str, Any]:
    return {"count": count, "p50": p50, "p95": p95, "max": p95 * 1.1, "sum": p50 * count}


def stats(p50: float | None, p95: float | None, failures: int = 0) -> dict[str, Any]:
    return {"attempts": 10, "failures": failures, "retries": 0,
            "exec_ms": None if p95 is None or p50 is None else timing(p50, p95),
            "queue_ms": timing(0.5, 1.0)}


def perf_document(p95_work: float = 40.0, per_s: float = 100.0, bytes_per_s: float = 1e6,
                  failures: int = 0, coverage: float = 1.0, extra_edge: bool = False,
                  worker_id: str = "aa" * 12 + "01000000") -> dict[str, Any]:
    """A small hand-made graph document with every performance field: main calls a named
    actor's `work` 20 times, `work` calls the function `mod.leaf` 20 times and passes it data."""
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "summary": {
            "jobs": [{"id": "01000000", "entrypoint": "python app.py", "driver_pid": 1,
                      "start_ms": 0, "end_ms": 1000, "tasks": 42}],
            "tasks": 42, "files": 1, "lines": 100, "events": 100, "sources": ["export_api"],
            "object_events": True,
            "skipped": {"total": 0, "by_reason": {}, "by_file": {}},
            "ignored": {}, "truncated_files": [], "warnings": [],
            "coverage": {"ratio": coverage, "complete": coverage >= 1.0, "tasks": 42},
            "failures": {"total": failures,
                         "by_type": {"TASK_EXECUTION_EXCEPTION": failures} if failures else {}},
        },
        "actors": [{"id": worker_id, "name": "Worker", "actor_name": "w1", "language": "PYTHON",
                    "jobId": "01000000", "state": "DEAD", "detached": False, "calls": 1,
                    "inferred": False, "stats": stats(2.0, 3.0)}],
        "methods": [{"id": f"{worker_id}.work", "actorId": worker_id, "name": "work",
                     "language": "PYTHON", "calls": 20, "inferred": False,
                     "stats": stats(p95_work / 2, p95_work, failures)}],
        "functions": [
            {"id": "main", "name": "main", "module": "", "language": "PYTHON",
             "jobId": "01000000", "calls": 0, "inferred": False, "stats": stats(None, None)},
            {"id": "mod.leaf", "name": "leaf", "module": "mod", "language": "PYTHON",
             "jobId": "01000000", "calls": 20, "inferred": False, "stats": stats(5.0, 8.0)},
        ],
        "callFlows": [
            {"source": "main", "target": worker_id, "count": 1, "stats": stats(2.0, 3.0),
             "per_s": None},
            {"source": "main", "target": f"{worker_id}.work", "count": 20,
             "stats": stats(p95_work / 2, p95_work), "per_s": per_s},
            {"source": f"{worker_id}.work", "target": "mod.leaf", "count": 20,
             "stats": stats(5.0, 8.0), "per_s": per_s},
        ],
        "dataFlows": [
            {"source": f"{worker_id}.work", "target": "mod.leaf", "count": 20, "bytes": 20_000_000,
             "unsized": 0, "bytes_per_s": bytes_per_s, "speed": "1 MB/s",
             "latency_ms": {"p50": 1.0, "p95": 2.0}},
        ],
        "failureNotes": [],
    }
    if extra_edge:
        doc["callFlows"].append({"source": "main", "target": "mod.leaf", "count": 3,
                                 "stats": stats(5.0, 8.0), "per_s": 10.0})
    return doc


def without_perf_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The same document as a flowinsight before per-node stats wrote it."""
    out = copy.deepcopy(doc)
    for key in ("actors", "methods", "functions", "callFlows"):
        for entry in out[key]:
            entry.pop("stats", None)
            entry.pop("per_s", None)
    for entry in out["dataFlows"]:
        entry.pop("latency_ms", None)
        entry["bytes_per_s"] = None
    out["summary"].pop("coverage", None)
    out["summary"].pop("failures", None)
    return out


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


def hostile_session(tmp_path: Path) -> Path:
    """nested_tasks with the Stage class and one actor renamed to hostile strings."""
    src = next(sample("nested_tasks").glob("session_*"))
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    cls = json.dumps(HOSTILE_CLS)[1:-1]
    actor = json.dumps(HOSTILE_ACTOR)[1:-1]
    for f in (dst / "logs" / "export_events").iterdir():
        text = f.read_text()
        text = text.replace("Stage.put_packet", f"{cls}.put_packet")
        text = text.replace('"class_name":"Stage"', f'"class_name":"{cls}"')
        text = text.replace('"name":""', f'"name":"{actor}"', 1)
        f.write_text(text)
    return dst


def mermaid_available() -> str | None:
    """Why Mermaid cannot run here, or None when it can (installing it with `npm ci`)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed to run Mermaid"
    if not (NODE_DIR / "node_modules" / "mermaid").is_dir():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"npm ci in {NODE_DIR} failed:\n{proc.stderr[-2000:]}")
    return None


def run_mermaid(files: list[Path]) -> list[dict[str, Any]]:
    """Each file rendered by the real Mermaid (Chromium) or parsed by it (jsdom)."""
    proc = subprocess.run(["node", str(NODE_DIR / "check_mermaid.mjs"), *map(str, files)],
                          capture_output=True, text=True, check=False, timeout=300,
                          env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
