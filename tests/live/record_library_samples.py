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
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .harness import REPO, Run, run_workload, temp_root
from .record_samples import path_rewrites

SAMPLES = REPO / "samples" / "libraries"
TRUTH = SAMPLES / "truth"
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
}


def run_capture(name: str, record: bool, root: Path) -> Run:
    capture = CAPTURES[name]
    return run_workload(capture.workload, root, record=record, timeout=RUN_TIMEOUT_S,
                        **CALL_SITES, **capture.env)


def save(name: str, record: bool) -> Path:
    target_name = f"{name}_recorded" if record else name
    with temp_root() as root:
        run = run_capture(name, record, root)
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
