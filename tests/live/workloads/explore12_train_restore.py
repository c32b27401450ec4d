"""Ray Train v2 with a failure and a restore: a DataParallelTrainer with 2 CPU workers fed by
Ray Data (ray.data.range(32) in 4 blocks, map_batches(add_one)), 3 epochs, each epoch reporting
with a checkpoint (rank 0 writes the epoch's number). Run "restored" has
FailureConfig(max_failures=1): rank 1 raises once, in epoch 2 (index 1) of the first run
attempt (a marker file says it has), Train restarts the worker group, the second attempt loads
the last checkpoint (ray.train.get_checkpoint()) and finishes from epoch 2: fit() succeeds.
Run "failed" is the same with max_failures=0 and a fresh marker: rank 1 raises, fit() raises,
the driver catches it. Truth: lib_state phase `end` (after both fits)."""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAY_TRAIN_V2_ENABLED"] = "1"

import ray  # noqa: E402
import ray.train  # noqa: E402
from ray.train import Checkpoint, FailureConfig, RunConfig, ScalingConfig  # noqa: E402
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

EPOCHS = 3


def add_one(batch):
    batch["y"] = batch["id"] + 1
    return batch


def train_fn(config):
    start = 0
    restored = ray.train.get_checkpoint()
    if restored is not None:
        with restored.as_directory() as folder:
            start = int(Path(folder, "epoch.txt").read_text()) + 1
    shard = ray.train.get_dataset_shard("train")
    rank = ray.train.get_context().get_world_rank()
    marker = Path(config["marker"])
    for epoch in range(start, EPOCHS):
        if epoch == 1 and rank == 1 and not marker.exists():
            marker.write_text("raised")
            # Train kills the group by force once it sees the error: let both ranks' last
            # calls reach Ray's task events first (they are sent about once a second)
            time.sleep(3)
            raise RuntimeError(f"rank 1 fails once, in epoch 2 of run {config['name']}")
        rows = sum(len(b["y"]) for b in shard.iter_batches(batch_size=4))
        with tempfile.TemporaryDirectory() as tmp:
            checkpoint = None
            if rank == 0:
                Path(tmp, "epoch.txt").write_text(str(epoch))
                checkpoint = Checkpoint.from_directory(tmp)
            ray.train.report({"epoch": epoch, "rows": rows}, checkpoint=checkpoint)


def fit(name, max_failures):
    ds = ray.data.range(32, override_num_blocks=4).map_batches(add_one)
    trainer = DataParallelTrainer(
        train_fn, train_loop_config={"name": name, "marker": str(Path.cwd() / f"{name}.marker")},
        datasets={"train": ds}, scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(name=name, storage_path=str(Path.cwd() / "train_results"),
                             failure_config=FailureConfig(max_failures=max_failures)))
    return trainer.fit()


ray.init(num_cpus=4)  # logical CPUs: 2 for the workers, the rest for the dataset's tasks
restored = fit("restored", max_failures=1)
print("restored", restored.error, restored.metrics)
assert restored.error is None and restored.metrics["epoch"] == EPOCHS - 1
try:
    failed = fit("failed", max_failures=0)
    print("failed error", type(failed.error).__name__)
    assert failed.error is not None
except Exception as err:  # noqa: BLE001 - v2's fit() raises the worker group's error
    print("failed raised", type(err).__name__, str(err)[:200])
lib_state.dump("end", "both fits returned, before ray.shutdown()")
ray.shutdown()
