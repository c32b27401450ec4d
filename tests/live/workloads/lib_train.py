"""A Ray Train v2 run (Ray 2.60 runs Train v2 unless RAY_TRAIN_V2_ENABLED=0; set here all the
same): DataParallelTrainer(train_fn, ScalingConfig(num_workers=2)) on CPU, each worker reporting
2 iterations of 2 metrics (`loss`, `step`). The driver's `fit()` creates Train's
TrainController actor, which creates the 2 RayTrainWorker actors and calls their methods: the
user's work is reached only through that internal actor. Results go to a temp dir in the working
directory. No failures. Truth: lib_state phase `end` (after fit(), before ray.shutdown)."""

import os
import sys
from pathlib import Path

os.environ["RAY_TRAIN_V2_ENABLED"] = "1"

import ray  # noqa: E402
import ray.train  # noqa: E402
from ray.train import RunConfig, ScalingConfig  # noqa: E402
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def train_fn(config):
    for step in range(2):
        ray.train.report({"loss": 1.0 / (step + 1), "step": step})


ray.init(num_cpus=2)
trainer = DataParallelTrainer(
    train_fn,
    scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
    run_config=RunConfig(name="lib_train", storage_path=str(Path.cwd() / "train_results")),
)
result = trainer.fit()
print("error", result.error)  # Train v2 keeps metrics only with a checkpoint: none here
assert result.error is None
lib_state.dump("end", "trainer.fit() returned, before ray.shutdown()")
ray.shutdown()
