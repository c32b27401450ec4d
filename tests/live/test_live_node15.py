"""A node's death on a real cluster of three nodes (workloads/node15_node_death.py: tasks and an
actor on node B, then B's raylet and workers SIGKILLed), read from every node's own session
directory and held against Ray's State API of the same run (detail=True, dumped by the driver
after the GCS declared B dead). Needs the `ray-libs` extra; about 40 s."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import REPO, WORKLOADS, base_env, run_script, temp_root
from .record_library_samples import TRUTH_FILE
from .test_live_explore import pytestmark  # noqa: F401

__all__ = ["pytestmark"]


@pytest.fixture(scope="module")
def run() -> Iterator[Path]:
    with temp_root() as root:
        done = run_script([str(WORKLOADS / "node15_node_death.py")], root, base_env(root))
        assert done.returncode == 0, done.stderr[-6000:]
        yield root


def analyzed(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    sessions = json.loads((root / "nodes.json").read_text())["sessions"]
    done = subprocess.run([sys.executable, "-m", "flowinsight", *args,
                           *(str(root / s) for s in sessions.values())],
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**base_env(root), "NO_COLOR": "1", "COLUMNS": "120"})
    assert done.returncode in (0, 1), done.stderr[-4000:]
    return done


def truth(root: Path) -> dict[str, Any]:
    end: dict[str, Any] = json.loads((root / TRUTH_FILE).read_text())["phases"]["end"]
    return end


def test_a_nodes_death_and_what_it_took_against_the_state_api(run: Path) -> None:
    end = truth(run)
    dead = json.loads((run / "nodes.json").read_text())["ids"]["b"]
    assert [n["state"] for n in end["nodes"] if n["node_id"] == dead] == ["DEAD"]
    failed = {f"task:{t['task_id']}:{t['attempt_number']}": t for t in end["tasks"]
              if t["state"] == "FAILED"}
    assert {t["node_id"] for t in failed.values()} == {dead}
    assert Counter((t["name"], t["error_type"]) for t in failed.values()) == {
        ("slow", "NODE_DIED"): 3, ("Keeper.hold", "ACTOR_DIED"): 1,
        ("Keeper.ping", "ACTOR_DIED"): 1}
    [keeper] = end["actors"]
    assert keeper["state"] == "DEAD"
    doc = json.loads(analyzed(run, "export", "--format", "json", "--attempts").stdout)
    # Ray's failures, once each: its failed attempts (error types as the State API's) and the
    # actor's death; nothing invented, nothing lost with the node
    tasks = {f["key"]: f for f in doc["failures"] if f["kind"] == "task"}
    assert {k: f["error_type"] for k, f in tasks.items()} == {
        k: t["error_type"] for k, t in failed.items()}
    [actor] = [f for f in doc["failures"] if f["kind"] == "actor"]
    assert actor["error_type"] == "ACTOR_DIED_ERROR_CONTEXT:NODE_DIED"
    assert actor["key"].startswith(f"actor:{keeper['actor_id']}:")
    assert len(doc["failures"]) == len(failed) + 1
    # one cause: the node's death, standing for the first attempt it failed; the actor's calls
    # follow from the actor's death, which follows from the node's
    [root] = [k for k, f in tasks.items() if not f["cause"]]
    assert failed[root]["error_type"] == "NODE_DIED"
    assert {k: f["cause"] for k, f in tasks.items() if k != root} == {
        k: actor["key"] if t["actor_id"] else root for k, t in failed.items() if k != root}
    assert actor["cause"] == root and doc["summary"]["failures"]["causes"] == 1
    # the retries Ray made ran elsewhere and finished, as flowinsight says
    finished = Counter(t["name"] for t in end["tasks"] if t["state"] == "FINISHED")
    rows = Counter((a["attempt"], a["status"]) for a in doc["attempts"]
                   if a["node"] != "main" and a["attempt"])
    assert rows == {(1, "FINISHED"): finished["slow"]} and finished["slow"] == 2
    assert {a["ray_node_id"] for a in doc["attempts"] if a["status"] == "FAILED"} == {dead}
    cover = doc["summary"]["coverage"]
    assert (cover["ratio"], cover["complete"]) == (1.0, True)  # no false "incomplete"
    out = analyzed(run, "analyze").stdout
    assert f"failures       {len(failed) + 1} from 1 cause (" in out
