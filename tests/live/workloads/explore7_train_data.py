"""Ray Train v2 (no torch) fed by Ray Data: a DataParallelTrainer with 2 CPU workers, given
`datasets={"train": ds}` where ds = ray.data.range(64).map_batches(add_square) (8 blocks);
each worker reads its shard with ray.train.get_dataset_shard("train").iter_batches(batch_size=8)
for 2 epochs and reports the rows and the sum it saw. Train's streaming split feeds both
workers from one execution of the dataset per epoch. Truth: lib_state phase `end` (after fit)."""

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


def add_square(batch):
    batch["square"] = batch["id"] ** 2
    return batch


def train_fn(config):
    shard = ray.train.get_dataset_shard("train")
    for epoch in range(config["epochs"]):
        rows = total = 0
        for batch in shard.iter_batches(batch_size=8):
            rows += len(batch["id"])
            total += int(batch["square"].sum())
        ray.train.report({"epoch": epoch, "rows": rows, "total": total})


ray.init(num_cpus=4)  # logical CPUs: 2 for the workers, the rest for the dataset's tasks
ds = ray.data.range(64, override_num_blocks=8).map_batches(add_square)
trainer = DataParallelTrainer(
    train_fn, train_loop_config={"epochs": 2}, datasets={"train": ds},
    scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
    run_config=RunConfig(name="train_data", storage_path=str(Path.cwd() / "train_results")))
result = trainer.fit()
print("error", result.error)
assert result.error is None  # v2 keeps metrics with checkpoints only: none here
lib_state.dump("end", "fit returned, before ray.shutdown()")
ray.shutdown()
