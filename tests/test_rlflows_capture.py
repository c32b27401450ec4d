"""RLlib's and Ray Train's data flows held object by object to Ray's State API (object_truth.py),
on two live captures whose workloads listed the objects while they were alive
(tests/live/workloads/lib_objects.py): rlflows_rllib (PPO built in the driver, 2 iterations and
algo.save(), a snapshot after every ray.get of the driver) and rlflows_torch_train (Train v2's
TorchTrainer fed by Ray Data, snapshots from rank 0 in each epoch, from every worker after
each report, and from the driver)."""

from __future__ import annotations

import copy
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA
from object_truth import Checked, block_reads, compare, made_by, per_object

from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.result import Result

RLLIB, TORCH = DATA / "rlflows_rllib", DATA / "rlflows_torch_train"


def _phases(capture: Path) -> dict[str, Any]:
    phases: dict[str, Any] = json.loads(
        gzip.decompress((capture / "state_truth.json.gz").read_bytes()))["phases"]
    return phases


def _session(capture: Path) -> Path:
    (session,) = capture.glob("session_*")
    return session


def _result(capture: Path) -> Result:
    """The analysis with Ray's internals in view (Train's and Ray Data's actors)."""
    return analyze(read_capture(discover([str(_session(capture))])), Options(internals=True))


def _checked(capture: Path) -> Checked:
    return compare(_phases(capture), _session(capture))


def test_rllib_every_listed_object_as_ray_lists_it() -> None:
    """Every object the driver held after a ray.get: its producer, and its bytes exactly Ray's
    object_size; each read by the driver (its owner) or by a call the driver gave it to. One
    result was never read: the last iteration's EnvRunner state sync, a
    foreach_actor_async_fetch_ready call RLlib leaves in flight (held by the driver alone)."""
    checked = _checked(RLLIB)
    assert (checked.objects, checked.sized, checked.seen, checked.unseen, checked.problems) == (
        22, 21, 21, (), ())
    assert made_by(_phases(RLLIB), checked.unread) == ["SingleAgentEnvRunner.apply"]


def test_torch_every_listed_object_as_ray_lists_it() -> None:
    """The dataset's blocks and the SplitCoordinator's puts, the trainer's function, the
    controller's results: producers and bytes as Ray lists them. Two results never read: Ray
    Data's AutoscalingCoordinator requests left pending (get_reserved_resources). Four blocks'
    readers held nothing when listed (a worker reads its shard in Train's own thread, after or
    before the snapshot): Ray records no reads, only who holds an object at the moment."""
    checked = _checked(TORCH)
    assert (checked.objects, checked.sized, checked.seen, checked.problems) == (44, 37, 67, ())
    assert made_by(_phases(TORCH), checked.unread) == [
        "_AutoscalingCoordinatorActor.get_reserved_resources"] * 2
    assert block_reads(_phases(TORCH), checked) == 4


def test_torch_a_pinned_argument_listed_without_its_metadata() -> None:
    """Three of the SplitCoordinator's puts were listed while a Ray Data task held them as its
    inlined argument: that executor's row is 6 bytes (b"PYTHON") short of the owner's, whose
    size flowinsight's bytes match; no problem is made of it."""
    short: Counter[int] = Counter()
    for rows in _rows(_phases(TORCH)).values():
        owner = {r["object_size"] for r in rows if r["task_status"] != "NIL"}
        short.update(next(iter(owner)) - r["object_size"] for r in rows
                     if len(owner) == 1 and r["task_status"] == "NIL"
                     and r["reference_type"] == "PINNED_IN_MEMORY")
    assert short == {len(b"PYTHON"): 3}


def _rows(phases: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in phases["objects"]["objects"]:
        rows.setdefault(row["object_id"], []).append(row)
    return rows


def _node_flows(capture: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """The per-object flows of the whole capture added up by node (the analysis's namer)."""
    _, _, flows = per_object(_session(capture))
    result = _result(capture)
    node = {a.task_id: a.node for a in result.attempts}
    added: Counter[tuple[str, str]] = Counter()
    sized: Counter[tuple[str, str]] = Counter()
    for found in flows.values():
        for f in found:
            key = (node.get(f.source, f.source), node.get(f.target, f.target))
            added[key] += f.count
            sized[key] += f.bytes or 0
    return {key: (count, sized[key]) for key, count in added.items()}


@pytest.mark.parametrize("capture", [RLLIB, TORCH], ids=["rllib", "torch"])
def test_the_objects_add_up_to_the_data_flows(capture: Path) -> None:
    """What was compared object by object is what flowinsight shows: the objects' flows,
    added up by node, are its data-flow graph edge for edge."""
    result = _result(capture)
    assert {(f.source, f.target): (f.count, f.bytes or 0) for f in result.data_flows} \
        == _node_flows(capture)


def test_rllib_save_moves_the_learner_state_each_way() -> None:
    """algo.save() (Algorithm.save_to_path, rllib/utils/checkpoints.py): the Learner's state
    comes back from its `apply` (get_state), the driver ray.puts it and hands it to the
    Learner's save_to_path; the two objects over 1 MB Ray lists, each with its size."""
    phases = _phases(RLLIB)
    tasks = {t["task_id"]: t for t in phases["end"]["tasks"]}
    big = {r["object_id"]: r for r in phases["objects"]["objects"] if r["object_size"] > 10**6}
    made = sorted(r["call_site"].split(")")[0] + ")" for r in big.values())
    assert made == ["(actor call)", "(put object)"]
    _, _, flows = per_object(_session(RLLIB))
    node = {a.task_id: a.node for a in _result(RLLIB).attempts}
    moved = {}
    for oid, row in big.items():
        (flow,) = flows[oid]
        assert (flow.count, flow.bytes) == (1, row["object_size"])
        assert tasks[oid[:48] if flow.source != "f" * 40 + "01000000" else flow.target][
            "name"] == "_WrappedExecutable.apply"
        moved[row["call_site"].split(")")[0] + ")"] = (node[flow.source], node[flow.target])
    learner = "create_executable_class.<locals>._WrappedExecutable"
    (actor,) = [a["actor_id"] for a in phases["end"]["actors"] if a["class_name"] == learner]
    assert moved == {"(actor call)": (f"{actor}.apply", "main"),
                     "(put object)": ("main", f"{actor}.apply")}


@pytest.mark.parametrize("field, change, problem", [
    ("object_size", 1, "bytes other than Ray's object_size"),
    ("pid", 1, "a put from a task outside its owner's process"),
])
def test_a_disagreement_is_found(field: str, change: int, problem: str) -> None:
    """The comparison can fail: the 1.6 MB put of the save with one byte more, or owned by
    another process, is named."""
    phases = copy.deepcopy(_phases(RLLIB))
    (row,) = [r for r in phases["objects"]["objects"]
              if r["object_size"] > 10**6 and r["call_site"].startswith("(put object)")]
    row[field] += change
    found = compare(phases, _session(RLLIB)).problems
    assert len(found) == 1 and found[0].startswith(row["object_id"]) and problem in found[0]


@pytest.mark.parametrize("less, problems", [(0, 0), (len(b"PYTHON"), 0), (7, 1)])
def test_a_borrower_may_list_the_object_without_its_metadata(less: int, problems: int) -> None:
    """An executor that pinned an inlined argument lists it without its metadata (seen live:
    b"PYTHON", 6 bytes less than its owner's row); any other difference is one."""
    phases = copy.deepcopy(_phases(RLLIB))
    (row,) = [r for r in phases["objects"]["objects"]
              if r["object_size"] > 10**6 and r["call_site"].startswith("(put object)")]
    tasks = {t["task_id"]: t for t in phases["end"]["tasks"]}
    _, _, flows = per_object(_session(RLLIB))
    (flow,) = flows[row["object_id"]]
    reader = tasks[flow.target]["worker_pid"]
    phases["objects"]["objects"].append(
        {**row, "pid": reader, "task_status": "NIL", "reference_type": "PINNED_IN_MEMORY",
         "object_size": row["object_size"] - less, "call_site": "(deserialize task arg)"})
    assert len(compare(phases, _session(RLLIB)).problems) == problems
