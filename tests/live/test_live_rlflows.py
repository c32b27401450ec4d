"""RLlib's and Ray Train's data flows held object by object to Ray's State API, listed while the
objects were alive (workloads/lib_objects.py; the comparison: tests/object_truth.py): RLlib's PPO
built in the driver, 2 iterations and algo.save() (workloads/rlflows_rllib.py, about 35 s), and
Train v2's TorchTrainer fed by Ray Data (workloads/rlflows_torch_train.py, about 60 s). Needs
the `ray-libs` extra (torch, RLlib). Any flow whose producer, bytes or consumer disagrees with
the snapshots fails, named with both sides."""

from __future__ import annotations

import json
from typing import Any

import pytest

from object_truth import Checked, block_reads, compare, made_by
from .harness import run_workload, temp_root
from .record_library_samples import CALL_SITES, TRUTH_FILE
from .test_live_explore import pytestmark  # noqa: F401

pytest.importorskip("torch", reason="needs the ray-libs extra (torch)")
pytest.importorskip("ray.rllib", reason="needs the ray-libs extra (RLlib)")

__all__ = ["pytestmark"]


def _run(workload: str, **env: str) -> tuple[dict[str, Any], Checked]:
    with temp_root() as root:
        run = run_workload(workload, root, **CALL_SITES, **env)
        phases = json.loads((root / TRUTH_FILE).read_text())["phases"]
        return phases, compare(phases, run.session_dir)


def test_rllib_flows_against_the_state_api() -> None:
    phases, checked = _run("rlflows_rllib")
    assert checked.problems == (), "\n".join(checked.problems)
    # the driver reads every result it holds and gives its puts to the calls it makes:
    # each transfer's consumer is seen holding the object, or given it by the driver
    assert checked.unseen == () and checked.seen == checked.objects - len(checked.unread)
    # the save's Learner state, each way: a return and a put over 1 MB, both sized by Ray
    big = sorted(r["call_site"].split(")")[0] + ")" for r in phases["objects"]["objects"]
                 if r["object_size"] > 10**6)
    assert big == ["(actor call)", "(put object)"]
    # never read: only what RLlib leaves in flight (EnvRunner calls fetched with timeout 0)
    assert set(made_by(phases, checked.unread)) <= {"SingleAgentEnvRunner.apply"}
    assert checked.sized >= checked.objects - len(checked.unread)


def test_torch_trainer_flows_against_the_state_api() -> None:
    phases, checked = _run("rlflows_torch_train", RAY_TRAIN_ENABLE_STATE_TRACKING="1")
    assert checked.problems == (), "\n".join(checked.problems)
    # the transfers Ray shows no holder of are Train workers reading dataset blocks
    block_reads(phases, checked)
    tasks = {t["task_id"]: t for t in phases["end"]["tasks"]}
    made = {tasks.get(r["object_id"][:48], {}).get("name") for r in phases["objects"]["objects"]
            if r["object_size"] >= 0}
    # compared byte for byte: blocks, and the controller's result (metrics and checkpoint)
    assert {"ReadRange->MapBatches(add_target)", "TrainController.get_result"} <= made
    assert checked.sized >= 8 and checked.seen >= 8
