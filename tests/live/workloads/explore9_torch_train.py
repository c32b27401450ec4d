"""Ray Train v2 with PyTorch: TorchTrainer, 2 CPU workers joined by torch.distributed over gloo,
a tiny linear model (DistributedDataParallel through ray.train.torch.prepare_model) trained for
2 epochs on a Ray Data dataset of 64 rows in 8 blocks (ray.train.get_dataset_shard("train"),
iter_torch_batches(batch_size=8)), each epoch reporting its loss with a checkpoint (rank 0
saves the model's state_dict). Run "torch_good" must succeed; run "torch_bad" is the same loop
whose rank 1 raises in epoch 2 (index 1), 3 s after its first report,
FailureConfig(max_failures=0): fit() raises, the driver catches it. Truth: lib_state phase
`end` (after both fits)."""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAY_TRAIN_V2_ENABLED"] = "1"

import ray  # noqa: E402
import ray.train  # noqa: E402
import ray.train.torch  # noqa: E402
import torch  # noqa: E402
from ray.train import Checkpoint, FailureConfig, RunConfig, ScalingConfig  # noqa: E402
from ray.train.torch import TorchConfig, TorchTrainer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def add_target(batch):
    batch["x"] = batch["id"].astype("float32") / 64.0
    batch["y"] = 3.0 * batch["x"] + 1.0
    return batch


def train_fn(config):
    torch.manual_seed(0)
    model = ray.train.torch.prepare_model(torch.nn.Linear(1, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    shard = ray.train.get_dataset_shard("train")
    rank = ray.train.get_context().get_world_rank()
    for epoch in range(2):
        if config["fail"] and epoch == 1 and rank == 1:
            # Ray's workers send their task events about once a second, and Train kills the
            # group by force as soon as it sees the error: without the wait, the calls both
            # ranks made in their last second (Ray Data's SplitCoordinator.get, ...) would
            # reach neither the logs nor the State API in full, by chance
            # (tests/data/train_torch_killed); rank 0 waits meanwhile in the split's next epoch
            time.sleep(3)
            raise RuntimeError("rank 1 fails on purpose in epoch 2")
        loss_sum = 0.0
        for batch in shard.iter_torch_batches(batch_size=8, dtypes=torch.float32):
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


def fit(name, fail):
    ds = ray.data.range(64, override_num_blocks=8).map_batches(add_target)
    trainer = TorchTrainer(
        train_fn, train_loop_config={"fail": fail}, datasets={"train": ds},
        torch_config=TorchConfig(backend="gloo"),
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(name=name, storage_path=str(Path.cwd() / "train_results"),
                             failure_config=FailureConfig(max_failures=0)))
    return trainer.fit()


ray.init(num_cpus=4)  # logical CPUs: 2 for the workers, the rest for the dataset's tasks
good = fit("torch_good", fail=False)
print("good", good.error, good.metrics)
assert good.error is None and good.metrics["epoch"] == 1 and good.checkpoint is not None
try:
    bad = fit("torch_bad", fail=True)
    print("bad error", type(bad.error).__name__)
    assert bad.error is not None
except Exception as err:  # noqa: BLE001 - v2's fit() raises the worker group's error
    print("bad raised", type(err).__name__, str(err)[:200])
lib_state.dump("end", "both fits returned, before ray.shutdown()")
ray.shutdown()
