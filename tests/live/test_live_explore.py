"""Four programs flowinsight was not built on (workloads/explore_*.py), each run under the
recorder and held against Ray's State API dump of the same run (workloads/lib_state.py): the
calls of every function, method and constructor, the failed attempts that are failures, and no
node that names no task Ray ran. Needs the `ray-libs` extra (the State API is served by Ray's
dashboard); about 20 s per program."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from .harness import REPO, cli_available, graph, run_workload, temp_root
from .record_library_samples import CALL_SITES, TRUTH_FILE

LIBS = all(importlib.util.find_spec(m) for m in ("aiohttp", "pyarrow", "fastapi"))
pytestmark = [
    pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available"),
    pytest.mark.skipif(not LIBS, reason="needs the ray-libs extra (Ray's State API)"),
]


def explored(workload: str, phase: str = "end", **env: str) -> tuple[dict[str, Any],
                                                                     dict[str, Any], int]:
    """Run a workload under the recorder: (its State API truth at `phase`, flowinsight's JSON,
    `flowinsight check --max-failures 0`'s exit code)."""
    with temp_root() as root:
        run = run_workload(workload, root, **CALL_SITES, **env)
        truth = json.loads((root / TRUTH_FILE).read_text())["phases"][phase]
        doc = graph(run.session_dir)
        verdict = subprocess.run(
            [sys.executable, "-m", "flowinsight", "check", str(run.session_dir),
             "--max-failures", "0"], capture_output=True, text=True, timeout=120, cwd=REPO)
    return truth, doc, verdict.returncode


def no_invented_nodes(doc: dict[str, Any]) -> None:
    """No node for a task Ray never ran: no undefined-task placeholder, nothing inferred."""
    assert doc["summary"]["coverage"]["undefined_tasks"] == 0
    assert not [n for kind in ("functions", "actors", "methods") for n in doc[kind]
                if n["inferred"]]


def node_names(doc: dict[str, Any]) -> dict[str, str]:
    """Node id -> name, a method as `Class.method`, the driver as `main`."""
    names = {n["id"]: n["name"] for kind in ("functions", "actors") for n in doc[kind]}
    names.update({m["id"]: f"{names[m['actorId']]}.{m['name']}" for m in doc["methods"]})
    return names


def flows_by_name(doc: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(source, target) by name -> (transfers, bytes), summed over the flows whose ends have
    the same names (the instances of a class); bytes None where a flow has none."""
    name = node_names(doc)
    flows: dict[tuple[str, str], tuple[int, int | None]] = {}
    for f in doc["dataFlows"]:
        pair = (name.get(f["source"], f["source"]), name.get(f["target"], f["target"]))
        count, size = flows.get(pair, (0, 0))
        flows[pair] = (count + f["count"],
                       None if size is None or f["bytes"] is None else size + f["bytes"])
    return flows


def truth_calls(end: dict[str, Any]) -> Counter[str]:
    """State API names, a constructor as its class ("registry:Registry.__init__" -> Registry).
    A function's node is Ray's name; an actor method's is Ray's name under its class: the
    method, or the name the call was given (`.options(name="acc-add")`: `Acc.acc-add`)."""
    return Counter(
        (_method_name(t) if t["type"] == "ACTOR_TASK" else t["name"]).split(":")[-1]
        .removesuffix(".__init__") for t in end["tasks"] if t["attempt_number"] == 0)


def _method_name(task: dict[str, Any]) -> str:
    """`Class.method`, or `Class.<name>` for a call under a name of its own (Ray's name of an
    actor task is `Class.method`, `actor name:Class.method` for a named actor)."""
    cls, method = task["func_or_class_name"].rsplit(".", 1)
    name = task["name"]
    return task["func_or_class_name"] if name == method or name.endswith("." + method) \
        else f"{cls}.{name}"


def graph_calls(doc: dict[str, Any]) -> Counter[str]:
    """flowinsight's calls by the same names, summed over the instances of a class."""
    actors = {a["id"]: a["name"] for a in doc["actors"]}
    calls: Counter[str] = Counter()
    for f in doc["functions"]:
        if f["id"] != "main":
            calls[f["name"]] += f["calls"]
    for a in doc["actors"]:
        calls[a["name"]] += a["calls"]
    for m in doc["methods"]:
        calls[f"{actors[m['actorId']]}.{m['name']}"] += m["calls"]
    return calls


@pytest.mark.parametrize("workload,failures", [
    ("explore_pool", 0),  # apply_async's error is caught in the pool's actor: no failed task
    ("explore_placement", 3),  # flaky's 2 failed attempts, doomed's one
    ("explore_data", 0),
    ("explore_names", 0),  # .options(name=...): State API names are flowinsight's nodes
    ("explore2_dispatch", 0),  # actors made by plain objects and by an actor, Queue, ActorPool
])
def test_explore_program_against_the_state_api(workload: str, failures: int) -> None:
    end, doc, verdict = explored(workload)
    assert graph_calls(doc) == truth_calls(end)
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"
              and t["error_type"] == "TASK_EXECUTION_EXCEPTION"]
    assert len(failed) == failures
    assert doc["summary"]["failures"]["total"] == failures
    assert verdict == (1 if failures else 0)
    # no node for a task Ray never ran (an object's id read as a task: ray.get(pg.ready()))
    assert doc["summary"]["coverage"]["undefined_tasks"] == 0
    assert not [f for f in doc["functions"] if f["inferred"]]
    assert not [f for f in doc["dataFlows"] if f["source"] == f["target"]]


def test_an_actor_with_task_events_off_against_the_state_api() -> None:
    """workloads/explore_silent_actor.py: the State API lists no task of Quiet (created with
    enable_task_events=False); flowinsight has its 4 calls from the recorder's submissions,
    says its task events were off, and holds the rest to the State API."""
    with temp_root() as root:
        run = run_workload("explore_silent_actor", root, **CALL_SITES)
        end = json.loads((root / TRUTH_FILE).read_text())["phases"]["end"]
        doc = graph(run.session_dir)
    calls = graph_calls(doc)
    assert (calls.pop("Quiet"), calls.pop("Quiet.ping")) == (1, 3)
    assert calls == truth_calls(end)
    warnings = doc["summary"]["warnings"]
    assert [w.split(":")[0] for w in warnings if "task events were off" in w] == [
        "incomplete capture", "1 actor(s) without any task event from Ray (Quiet)"]
