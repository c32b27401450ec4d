"""Ray Train v2's TorchTrainer (the good run of explore9_torch_train.py: 2 CPU workers over
gloo, a Ray Data dataset of 64 rows in 8 blocks read through get_dataset_shard, 2 epochs each
reporting its loss, rank 0 with a checkpoint), its objects listed by the State API while they
are alive: rank 0 takes a snapshot after the first batch of each epoch (the epoch's blocks
then held by Ray Data's SplitCoordinator and the workers), every worker one after each report
(the metrics and checkpoint Train's controller polls for), and the driver one after each of its
ray.get calls. Phase `objects`: the union (lib_objects.Watch). Truth for the tasks: lib_state
phase `end` (before ray.shutdown())."""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ["RAY_TRAIN_V2_ENABLED"] = "1"

import ray  # noqa: E402
import ray.train  # noqa: E402
import ray.train.torch  # noqa: E402
import torch  # noqa: E402
from ray.train import Checkpoint, FailureConfig, RunConfig, ScalingConfig  # noqa: E402
from ray.train.torch import TorchConfig, TorchTrainer  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lib_objects  # noqa: E402
import lib_state  # noqa: E402


def add_target(batch):
    batch["x"] = batch["id"].astype("float32") / 64.0
    batch["y"] = 3.0 * batch["x"] + 1.0
    return batch


def train_fn(config):
    sys.path.insert(0, config["workloads"])
    import lib_objects as objects  # the worker's own import: workers never run the driver's

    watch = objects.Watch()
    torch.manual_seed(0)
    model = ray.train.torch.prepare_model(torch.nn.Linear(1, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    shard = ray.train.get_dataset_shard("train")
    rank = ray.train.get_context().get_world_rank()
    for epoch in range(2):
        loss_sum = 0.0
        for i, batch in enumerate(shard.iter_torch_batches(batch_size=8, dtypes=torch.float32)):
            if i == 0 and rank == 0:
                watch.take()
            loss = torch.nn.functional.mse_loss(
                model(batch["x"].unsqueeze(1)), batch["y"].unsqueeze(1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += float(loss)
        with tempfile.TemporaryDirectory() as tmp:
            checkpoint = None
            if rank == 0:
                torch.save(model.state_dict(), Path(tmp, "model.pt"))
                checkpoint = Checkpoint.from_directory(tmp)
            ray.train.report({"epoch": epoch, "loss": loss_sum}, checkpoint=checkpoint)
        watch.take()
    Path(config["out"], f"objects_{rank}.json").write_text(json.dumps(list(watch.rows.values())))


ray.init(num_cpus=4)  # logical CPUs: 2 for the workers, the rest for the dataset's tasks
ds = ray.data.range(64, override_num_blocks=8).map_batches(add_target)
trainer = TorchTrainer(
    train_fn, train_loop_config={"workloads": str(HERE), "out": str(Path.cwd())},
    datasets={"train": ds}, torch_config=TorchConfig(backend="gloo"),
    scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
    run_config=RunConfig(name="torch_good", storage_path=str(Path.cwd() / "train_results"),
                         failure_config=FailureConfig(max_failures=0)))
watch = lib_objects.Watch()
with watch.on_gets():
    good = trainer.fit()
print("good", good.error, good.metrics, "driver snapshots", watch.snapshots)
assert good.error is None and good.metrics["epoch"] == 1 and good.checkpoint is not None
for rank in range(2):
    for row in json.loads(Path(f"objects_{rank}.json").read_text()):
        watch.rows.setdefault((row["object_id"], row["pid"], row["reference_type"]), row)
watch.save("objects", "rank 0 after each epoch's first batch, every worker after each report, "
           "the driver after each ray.get")
lib_state.dump("end", "the fit returned, before ray.shutdown()")
ray.shutdown()
