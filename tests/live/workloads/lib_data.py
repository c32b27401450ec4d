"""A Ray Data pipeline: ray.data.range(1000) in 4 blocks -> map_batches(add_one) (a function;
Ray fuses it with the read into `ReadRange->MapBatches(add_one)` tasks) -> map_batches(Multiply,
compute=ActorPoolStrategy(size=2)) (a callable class on a pool of 2 actors) -> write_parquet to
a temp dir in the working directory (Write). No failures. Ray Data's own actors (_StatsActor,
AutoscalingCoordinator, ActorLocationTracker ...) are alive at the end of the job and die with
it. Truth: lib_state phase `end` (after the write, before ray.shutdown)."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def add_one(batch):
    batch["id"] = batch["id"] + 1
    return batch


class Multiply:
    def __init__(self):
        self.factor = 3

    def __call__(self, batch):
        batch["id"] = batch["id"] * self.factor
        return batch


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
out = Path.cwd() / "parquet_out"
(ray.data.range(1000, override_num_blocks=4)
 .map_batches(add_one)
 .map_batches(Multiply, compute=ray.data.ActorPoolStrategy(size=2), num_cpus=0.5)
 .write_parquet(str(out)))
print("wrote", sorted(p.name for p in out.iterdir()))
lib_state.dump("end", "dataset written, before ray.shutdown()")
ray.shutdown()
