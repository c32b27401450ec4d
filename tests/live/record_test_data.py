"""Record one small live capture for a unit test: a workload (tests/live/workloads/<name>.py)
run once on a fresh local Ray bound to 127.0.0.1 with the Export API on, under
flowinsight.recorder unless `--plain`. Kept under tests/data/<capture>/: the session's
logs/events and logs/export_events (as they are, machine paths rewritten to /home/user/...) and
Ray's State API dump the driver wrote (`state_truth.json`, workloads/lib_state.py).

Needs the `ray-libs` extra (the State API):

    .venv/bin/python -m tests.live.record_test_data WORKLOAD CAPTURE [--plain] [KEY=VALUE ...]

KEY=VALUE pairs are put in the run's environment (e.g. RAY_SERVE_ENABLE_TASK_EVENTS=1).

With `--cluster` the workload starts a cluster of its own, each node with a session directory of
its own (workloads/node15_node_death.py), and names them in `nodes.json`: each is kept under
tests/data/<capture>/<role>/<session name>, the recorder off.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .harness import REPO, WORKLOADS, base_env, run_script, run_workload, temp_root
from .record_library_samples import KEPT, TRUTH_FILE
from .record_samples import keep_logs, path_rewrites

DATA = REPO / "tests" / "data"


def save(workload: str, capture: str, record: bool, env: dict[str, str]) -> Path:
    with temp_root() as root:
        run = run_workload(workload, root, record=record, **env)
        kept = keep_logs(run.session_dir, root, DATA / capture, KEPT)
        truth = (root / TRUTH_FILE).read_text()
        for old, new in path_rewrites(root):
            truth = truth.replace(old, new)
        (DATA / capture / TRUTH_FILE).write_text(truth)
        return kept


def save_cluster(workload: str, capture: str) -> Path:
    with temp_root() as root:
        done = run_script([str(WORKLOADS / f"{workload}.py")], root, base_env(root))
        assert done.returncode == 0, done.stderr[-6000:]
        sessions = json.loads((root / "nodes.json").read_text())["sessions"]
        shutil.rmtree(DATA / capture, ignore_errors=True)
        for role, session in sessions.items():
            for folder in KEPT:  # a node that ran no task writes no export_events
                (root / session / "logs" / folder).mkdir(parents=True, exist_ok=True)
            keep_logs(root / session, root, DATA / capture / role, KEPT)
        for name in (TRUTH_FILE, "nodes.json"):
            text = (root / name).read_text()
            for old, new in path_rewrites(root):
                text = text.replace(old, new)
            (DATA / capture / name).write_text(text)
        return DATA / capture


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    if "--cluster" in args:
        print("recorded", save_cluster(args[0], args[1]).relative_to(REPO))
        raise SystemExit(0)
    plain = "--plain" in args
    pairs = dict(a.split("=", 1) for a in args[2:] if "=" in a)
    print("recorded", save(args[0], args[1], not plain, pairs).relative_to(REPO))
