"""Ray Train v2 without torch, two runs of DataParallelTrainer with 2 CPU workers, one after the
other in one job. Run "good": each worker reports 3 iterations of metrics, rank 0 with a small
checkpoint (a JSON file) at the last one; fit() returns the last metrics. Run "bad": rank 1
raises after its first report (a true failure: Train records the worker group's error, fit()
raises TrainingFailedError, FailureConfig(max_failures=0)). Truth: lib_state phase `end` (after
both fits, before ray.shutdown)."""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ["RAY_TRAIN_V2_ENABLED"] = "1"

import ray  # noqa: E402
import ray.train  # noqa: E402
from ray.train import Checkpoint, FailureConfig, RunConfig, ScalingConfig  # noqa: E402
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def train_fn(config):
    rank = ray.train.get_context().get_world_rank()
    for step in range(3):
        metrics = {"loss": 1.0 / (step + 1), "step": step}
        if step == 2 and rank == 0:
            with tempfile.TemporaryDirectory() as tmp:
                Path(tmp, "state.json").write_text(json.dumps(metrics))
                ray.train.report(metrics, checkpoint=Checkpoint.from_directory(tmp))
        else:
            ray.train.report(metrics)
        if config["fail"] and rank == 1:
            raise RuntimeError("rank 1 fails on purpose")


def fit(name, fail):
    trainer = DataParallelTrainer(
        train_fn, train_loop_config={"fail": fail},
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(name=name, storage_path=str(Path.cwd() / "train_results"),
                             failure_config=FailureConfig(max_failures=0)))
    return trainer.fit()


ray.init(num_cpus=2)
good = fit("good", fail=False)
print("good", good.error, good.metrics)
assert good.error is None and good.metrics["step"] == 2
try:
    bad = fit("bad", fail=True)
    print("bad error", type(bad.error).__name__)
    assert bad.error is not None
except Exception as err:  # noqa: BLE001 - v2's fit() raises the worker group's error
    print("bad raised", type(err).__name__, str(err)[:200])
lib_state.dump("end", "both fits returned, before ray.shutdown()")
ray.shutdown()
