"""(Re)build samples/libraries/: each Ray library workload (tests/live/workloads/lib_*.py) run
once plainly and once under flowinsight.recorder, on a fresh local Ray bound to 127.0.0.1 with
the Export API on. Kept per run: the session's logs/events and logs/export_events (event files
only, empty ones too), and Ray's State API dump that the driver wrote (truth/<capture>.json).
Event files over GZIP_OVER bytes and truth files over TRUTH_GZIP_OVER bytes are stored
gzip-compressed (name + .gz; flowinsight reads such event files as they are). Machine paths
are rewritten to /home/user/... as in samples/recorded/.

Needs the `ray-libs` extra (`.venv/bin/pip install -e '.[ray-libs]'`):

    .venv/bin/python -m tests.live.record_library_samples [capture ...]

A capture is a key of CAPTURES, alone (both runs) or with `_recorded` / `_plain` (one run).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import REPO, Run, run_workload, temp_root
from .record_samples import path_rewrites

SAMPLES = REPO / "samples" / "libraries"
TRUTH = SAMPLES / "truth"
EXPECTED = SAMPLES / "expected.json"  # what each program meant: real failures, internals, ...
KEPT = ("events", "export_events")
GZIP_OVER = 100_000  # event files
TRUTH_GZIP_OVER = 200_000
TRUTH_FILE = "state_truth.json"  # written by workloads/lib_state.py in the run's working dir
RUN_TIMEOUT_S = 420

# Ray records where each task, actor and ref was created: the truth's and the export events'
# call_site fields are filled (they are empty otherwise).
CALL_SITES = {"RAY_record_task_actor_creation_sites": "true", "RAY_record_ref_creation_sites": "1"}


@dataclass(frozen=True)
class Capture:
    workload: str
    env: dict[str, str] = field(default_factory=dict)


CAPTURES = {
    "mapreduce": Capture("lib_mapreduce"),
    "retries": Capture("lib_retries"),
    "actor_restart": Capture("lib_actor_restart"),
    "data": Capture("lib_data"),
    "tune": Capture("lib_tune"),
    "serve_events": Capture("lib_serve", {"RAY_SERVE_ENABLE_TASK_EVENTS": "1"}),
    "serve": Capture("lib_serve"),  # as shipped: Serve turns its actors' task events off
    "param_server": Capture("lib_param_server"),
    "async_threaded": Capture("lib_async_threaded"),
    "train": Capture("lib_train"),
}


def run_capture(name: str, record: bool, root: Path) -> Run:
    capture = CAPTURES[name]
    return run_workload(capture.workload, root, record=record, timeout=RUN_TIMEOUT_S,
                        **CALL_SITES, **capture.env)


def save(name: str, record: bool) -> Path:
    target_name = f"{name}_recorded" if record else name
    with temp_root() as root:
        run = run_capture(name, record, root)
        problems = expected_problems(name, json.loads((root / TRUTH_FILE).read_text()))
        if problems:  # the committed capture stays as it was
            raise SystemExit(f"{target_name}: the run is not what the program means:\n  "
                             + "\n  ".join(problems))
        rewrites = path_rewrites(root)

        def rewrite(text: str) -> str:
            for old, new in rewrites:
                text = text.replace(old, new)
            return text

        shutil.rmtree(SAMPLES / target_name, ignore_errors=True)
        target = SAMPLES / target_name / run.session_dir.name / "logs"
        for kept in KEPT:
            (target / kept).mkdir(parents=True)
            for source in sorted((run.session_dir / "logs" / kept).iterdir()):
                if not source.name.startswith("event_"):
                    continue
                store(target / kept / source.name,
                      rewrite(source.read_text(errors="replace")).encode())
        TRUTH.mkdir(parents=True, exist_ok=True)
        for old in TRUTH.glob(f"{target_name}.json*"):
            old.unlink()
        store(TRUTH / f"{target_name}.json", rewrite((root / TRUTH_FILE).read_text()).encode(),
              TRUTH_GZIP_OVER)
        return SAMPLES / target_name


def store(path: Path, data: bytes, over: int = GZIP_OVER) -> Path:
    """Write `data` to `path`, or gzip-compressed to `path`.gz when it is over `over` bytes."""
    if len(data) > over:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def read_truth(capture: str) -> dict[str, Any]:
    """truth/<capture>.json (or .json.gz) as committed."""
    plain = TRUTH / f"{capture}.json"
    raw = plain.read_bytes() if plain.exists() else gzip.decompress(
        plain.with_name(plain.name + ".gz").read_bytes())
    truth: dict[str, Any] = json.loads(raw)
    return truth


def last_phase(truth: dict[str, Any]) -> dict[str, Any]:
    phase: dict[str, Any] = max(truth["phases"].values(), key=lambda p: p["order"])
    return phase


def expected_problems(name: str, truth: dict[str, Any]) -> list[str]:
    """How a run's State API truth differs from what its program means (expected.json)."""
    expected = json.loads(EXPECTED.read_text())["captures"][name]
    final, problems = last_phase(truth), []
    tasks = final["tasks"]
    failed = Counter((t["name"], t["attempt_number"], t["error_type"])
                     for t in tasks if t["state"] == "FAILED")
    real = Counter(tuple(f) for f in expected["real_failures"])
    if expected.get("intended_failed_attempts") is None and failed != real:
        problems.append(f"failed attempts {sorted(failed.items())}, meant {sorted(real.items())}")
    if real - failed:
        problems.append(f"real failures missing from the truth: {sorted(real - failed)}")
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for t in sorted(tasks, key=lambda t: t["attempt_number"]):
        last[(t["task_id"], t["name"])] = t
    for_good = sorted({n for (_, n), t in last.items()
                       if t["state"] == "FAILED" and n in {f[0] for f in real}})
    if for_good != sorted(expected["failed_for_good"]):
        problems.append(f"failed for good {for_good}, meant {expected['failed_for_good']}")
    restarts = Counter()
    for actor in final["actors"]:
        restarts[actor["class_name"]] += actor["num_restarts"] or 0
    if +restarts != Counter(expected["actor_restarts"]):
        problems.append(f"actor restarts {dict(+restarts)}, meant {expected['actor_restarts']}")
    classes = Counter(a["class_name"] for a in final["actors"])
    for internal in expected["internals"]:
        if internal not in classes:
            problems.append(f"internal actor {internal} missing")
    view = expected["user_view"]
    calls = Counter(t["name"] for t in tasks if t["attempt_number"] == 0)
    for task_name, count in view.get("tasks", {}).items():
        if calls[task_name] != count:
            problems.append(f"{task_name}: {calls[task_name]} calls, meant {count}")
    if "tasks" in view and not view["tasks"] and tasks:
        problems.append(f"{len(tasks)} task records where task events are off")
    for class_name, count in view.get("actors", {}).items():
        if classes[class_name] != count:
            problems.append(f"{class_name}: {classes[class_name]} actors, meant {count}")
    return problems


def runs(args: list[str]) -> list[tuple[str, bool]]:
    chosen = []
    for arg in args or list(CAPTURES):
        for suffix, record in (("_recorded", True), ("_plain", False)):
            if arg.endswith(suffix) and arg[: -len(suffix)] in CAPTURES:
                chosen.append((arg[: -len(suffix)], record))
                break
        else:
            if arg not in CAPTURES:
                raise SystemExit(f"unknown capture {arg!r}; known: {', '.join(CAPTURES)}")
            chosen += [(arg, False), (arg, True)]
    return chosen


if __name__ == "__main__":
    for capture_name, recorded in runs(sys.argv[1:]):
        print("recorded", save(capture_name, recorded).relative_to(REPO), flush=True)
