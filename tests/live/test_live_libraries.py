"""Two of the library-pattern workloads (the cheapest) re-run under the recorder, and
flowinsight's graph held against Ray's own State API dump from the same run
(tests/live/workloads/lib_state.py): names and call counts per function, attempts, failed
attempts and their causes, data flows between the tasks that really exchanged objects, actors.

Among them, what issue 14 fixed: an inlined object's producer is the task whose return it is
(no made-up self-loops), a worker's failure event is counted once with the attempt it ended, and
a function is the same node with and without the recorder. The live runs need the `ray-libs` extra (the truth comes from Ray's State API, served by Ray's
dashboard); the committed truths are checked against samples/libraries/expected.json without it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import flowinsight

from .harness import REPO, Run, cli_available, graph, run_workload, temp_root
from .record_library_samples import (
    CALL_SITES, CAPTURES, TRUTH_FILE, expected_problems, read_truth,
)

LIBS = all(importlib.util.find_spec(m) for m in ("aiohttp", "pyarrow", "fastapi"))
NO_LIBS = ("needs the ray-libs extra (.venv/bin/pip install -e '.[ray-libs]'): "
           "the truth is Ray's State API, which Ray's dashboard serves")
pytestmark = pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available")


@dataclass(frozen=True)
class Checked:
    run: Run
    truth: dict[str, Any]  # state_truth.json: {"ray_version", "phases": {name: snapshot}}
    result: dict[str, Any]  # flowinsight export --format json

    def phase(self, name: str = "end") -> dict[str, Any]:
        snapshot: dict[str, Any] = self.truth["phases"][name]
        return snapshot


def checked(workload: str) -> Iterator[Checked]:
    if not LIBS:
        pytest.skip(NO_LIBS)
    with temp_root() as root:
        run = run_workload(workload, root, **CALL_SITES)
        truth = json.loads((root / TRUTH_FILE).read_text())
        yield Checked(run, truth, graph(run.session_dir))


@pytest.fixture(scope="module")
def mapreduce() -> Iterator[Checked]:
    yield from checked("lib_mapreduce")


@pytest.fixture(scope="module")
def retries() -> Iterator[Checked]:
    yield from checked("lib_retries")


# --- what the truth says -----------------------------------------------------------------


def attempts_by_name(snapshot: dict[str, Any]) -> Counter[str]:
    return Counter(t["name"] for t in snapshot["tasks"])


def calls_by_name(snapshot: dict[str, Any]) -> Counter[str]:
    return Counter(t["name"] for t in snapshot["tasks"] if t["attempt_number"] == 0)


def failed_attempts(snapshot: dict[str, Any]) -> set[tuple[str, int, str]]:
    return {(t["task_id"], t["attempt_number"], t["error_type"])
            for t in snapshot["tasks"] if t["state"] == "FAILED"}


def object_sizes(snapshot: dict[str, Any], producer_name: str, tasks: dict[str, str]) -> list[int]:
    """Sizes of the live objects whose creating task (the id's first 48 hex) is `producer_name`."""
    return sorted(o["object_size"] for o in snapshot["objects"]
                  if tasks.get(o["object_id"][:48]) == producer_name)


# --- what flowinsight says ----------------------------------------------------------------


def functions_by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for f in result["functions"]:
        if f["id"] != "main":
            assert f["name"] not in found, f"two nodes named {f['name']}"
            found[f["name"]] = f
    return found


def flows_by_name(result: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    names = {f["id"]: f["name"] for f in result["functions"]}
    return {(names.get(f["source"], f["source"]), names.get(f["target"], f["target"])): f
            for f in result[kind]}


def check(session: Path, max_failures: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowinsight", "check", str(session),
         "--max-failures", str(max_failures)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )


# --- the map-reduce: inlined (8 kB) and stored (400 kB) map outputs ---------------------------


@pytest.mark.parametrize("capture", [f"{n}{s}" for n in CAPTURES for s in ("", "_recorded")])
def test_committed_truth_is_what_the_program_means(capture: str) -> None:
    """samples/libraries/truth/* against samples/libraries/expected.json (no Ray needed)."""
    name = capture.removesuffix("_recorded")
    assert expected_problems(name, read_truth(capture)) == []


def test_mapreduce_truth_is_what_the_program_did(mapreduce: Checked) -> None:
    assert expected_problems("mapreduce", mapreduce.truth) == []
    end = mapreduce.phase()
    assert calls_by_name(end) == {"map_small": 4, "map_large": 4, "reduce_parts": 2}
    assert {t["state"] for t in end["tasks"]} == {"FINISHED"}
    assert end["actors"] == []


def test_mapreduce_names_and_calls(mapreduce: Checked) -> None:
    end, result = mapreduce.phase(), mapreduce.result
    functions = functions_by_name(result)
    assert {n: f["calls"] for n, f in functions.items()} == calls_by_name(end)
    assert {n: f["stats"]["attempts"] for n, f in functions.items()} == attempts_by_name(end)
    calls = flows_by_name(result, "callFlows")
    assert {k: f["count"] for k, f in calls.items()} == {
        ("main", name): count for name, count in calls_by_name(end).items()}


def test_mapreduce_no_failures_no_actors(mapreduce: Checked) -> None:
    assert mapreduce.result["summary"]["failures"]["total"] == 0
    assert mapreduce.result["actors"] == mapreduce.phase()["actors"] == []
    assert check(mapreduce.run.session_dir, 0).returncode == 0


def test_mapreduce_large_outputs_flow_to_the_reducers(mapreduce: Checked) -> None:
    held = mapreduce.phase("refs_held")
    tasks = {t["task_id"]: t["name"] for t in held["tasks"]}
    sizes = object_sizes(held, "map_large", tasks)
    assert len(sizes) == 4 and min(sizes) > 100 * 1024  # in the object store
    flow = flows_by_name(mapreduce.result, "dataFlows")[("map_large", "reduce_parts")]
    assert flow["count"] == 4 and flow["bytes"] == sum(sizes)


def test_mapreduce_inlined_outputs_flow_to_the_reducers(mapreduce: Checked) -> None:
    held = mapreduce.phase("refs_held")
    tasks = {t["task_id"]: t["name"] for t in held["tasks"]}
    sizes = object_sizes(held, "map_small", tasks)
    assert len(sizes) == 4 and max(sizes) < 100 * 1024  # inlined by Ray
    flow = flows_by_name(mapreduce.result, "dataFlows").get(("map_small", "reduce_parts"))
    assert flow is not None and flow["count"] == 4 and flow["bytes"] == sum(sizes)


def test_mapreduce_no_made_up_self_loops(mapreduce: Checked) -> None:
    loops = [f for f in mapreduce.result["dataFlows"] if f["source"] == f["target"]]
    assert loops == []


def test_mapreduce_results_flow_to_main(mapreduce: Checked) -> None:
    held = mapreduce.phase("refs_held")
    tasks = {t["task_id"]: t["name"] for t in held["tasks"]}
    flow = flows_by_name(mapreduce.result, "dataFlows")[("reduce_parts", "main")]
    assert flow["count"] == 2 and flow["bytes"] == sum(object_sizes(held, "reduce_parts", tasks))


# --- retries: 2 application errors then success, a worker crash then success, failed for good --


def test_retries_truth_is_what_the_program_did(retries: Checked) -> None:
    assert expected_problems("retries", retries.truth) == []
    end = retries.phase()
    assert calls_by_name(end) == {"steady": 2, "flaky": 1, "crashy": 1, "doomed": 1}
    assert attempts_by_name(end) == {"steady": 2, "flaky": 3, "crashy": 2, "doomed": 2}
    assert Counter(e for _, _, e in failed_attempts(end)) == {
        "TASK_EXECUTION_EXCEPTION": 4, "WORKER_DIED": 1}


def test_retries_names_calls_and_attempts(retries: Checked) -> None:
    end, functions = retries.phase(), functions_by_name(retries.result)
    assert {n: f["calls"] for n, f in functions.items()} == calls_by_name(end)
    assert {n: f["stats"]["attempts"] for n, f in functions.items()} == attempts_by_name(end)
    assert retries.result["actors"] == end["actors"] == []


def test_retries_task_failures_are_the_failed_attempts(retries: Checked) -> None:
    seen = {(f["taskId"], f["attempt"], f["error_type"])
            for f in retries.result["failures"] if f["kind"] == "task"}
    assert seen == failed_attempts(retries.phase())


def test_retries_attempts_ran_on_the_nodes_ray_names(retries: Checked) -> None:
    """Each attempt's Ray node and that node's IP (pipeline/node_ips.py) as Ray's State API
    says them: list_tasks(detail=True)'s node_id, list_nodes()'s node_ip."""
    end = retries.phase()
    ips = {n["node_id"]: n["node_ip"] for n in end["nodes"]}
    assert set(ips.values()) == {"127.0.0.1"}  # the harness binds Ray to loopback
    truth = {(t["task_id"], t["attempt_number"]): (t["node_id"], ips[t["node_id"]])
             for t in end["tasks"] if t["node_id"]}
    attempts = flowinsight.load(retries.run.session_dir).attempts
    assert len(truth) == 9 and {(a.task_id, a.attempt): (a.ray_node_id, a.node_ip)
                                for a in attempts if (a.task_id, a.attempt) in truth} == truth
    # and each failed attempt's, in the JSON
    assert {(f["taskId"], f["attempt"]): f["node_ip"] for f in retries.result["failures"]
            if f["kind"] == "task"} == {(t, n): truth[(t, n)][1]
                                        for t, n, _ in failed_attempts(end)}


def test_retries_failures_counted_once_per_failed_attempt(retries: Checked) -> None:
    end, result = retries.phase(), retries.result
    assert result["summary"]["failures"]["total"] == len(failed_attempts(end))
    failed = Counter(t["name"] for t in end["tasks"] if t["state"] == "FAILED")
    assert {n: f["failures"] for n, f in functions_by_name(result).items()} == {
        name: failed.get(name, 0) for name in calls_by_name(end)}


def test_retries_check_counts_the_real_failures(retries: Checked) -> None:
    real = len(failed_attempts(retries.phase()))
    assert check(retries.run.session_dir, real).returncode == 0


def test_retries_check_fails_below_the_real_failures(retries: Checked) -> None:
    real = len(failed_attempts(retries.phase()))
    done = check(retries.run.session_dir, real - 1)
    assert done.returncode == 1, done.stdout + done.stderr


# --- one identity for one function, with and without the recorder (committed captures) -------

SAMPLES = REPO / "samples" / "libraries"


@pytest.mark.parametrize("name", ["mapreduce", "retries"])
def test_function_ids_are_the_same_with_and_without_the_recorder(name: str) -> None:
    plain, recorded = graph(SAMPLES / name), graph(SAMPLES / f"{name}_recorded")
    assert {f["name"] for f in plain["functions"]} == {f["name"] for f in recorded["functions"]}
    assert {f["id"] for f in plain["functions"]} == {f["id"] for f in recorded["functions"]}


# --- Ray Train v2: the workers reached only through Train's (hidden) controller -------------


@pytest.fixture(scope="module")
def train() -> Iterator[Checked]:
    yield from checked("lib_train")


def test_train_truth_is_what_the_program_did(train: Checked) -> None:
    end = train.phase()
    assert expected_problems("train", train.truth) == []
    assert Counter(a["class_name"] for a in end["actors"])["RayTrainWorker"] == 2
    # Ray records Train's controller (an async actor: its creation task) as every worker
    # task's caller, and main as the controller's
    by_id = {t["task_id"]: t for t in end["tasks"]}
    workers = [t for t in end["tasks"] if t["func_or_class_name"].startswith("RayTrainWorker.")]
    assert {by_id[t["parent_task_id"]]["name"] for t in workers} == {"TrainController.__init__"}


def test_train_default_view_draws_the_workers_calls_from_main(train: Checked) -> None:
    """The default view hides TrainController and draws its calls to the workers from main,
    `via` it: one call per worker task of the truth (flowinsight names an actor method called
    under a name of its own, `execute.<fn>`, by that name, as Ray does)."""
    end, result = train.phase(), train.result
    controller = {a["id"] for a in result["actors"] if a["name"] == "TrainController"}
    assert len(controller) == 1
    workers = {a["id"] for a in result["actors"] if a["name"] == "RayTrainWorker"}
    names = {m["id"]: f"RayTrainWorker.{m['name']}" for m in result["methods"]
             if m["actorId"] in workers}
    names.update({w: "RayTrainWorker.__init__" for w in workers})
    via: Counter[str] = Counter()
    for c in result["callFlows"]:
        if "via" in c:
            assert c["source"] == "main" and c["via"][0].split(".")[0] in controller
            via[names[c["target"]]] += c["count"]
    # Ray's name of a worker task: RayTrainWorker.<method>, or the name the call was given
    assert via == Counter(
        t["name"] if t["name"].startswith("RayTrainWorker.") else f"RayTrainWorker.{t['name']}"
        for t in end["tasks"] if t["func_or_class_name"].startswith("RayTrainWorker."))
    assert check(train.run.session_dir, 0).returncode == 0
