"""Ray Data: range(200) -> map_batches with a callable class `AddOne` (concurrency=2,
batch_size=50, half a CPU each) consumed in the driver with iter_batches; then from_items of 12 rows ->
groupby("k").sum("v") -> take_all (3 groups). Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


class AddOne:
    def __init__(self):
        self.offset = 1

    def __call__(self, batch):
        batch["id"] = batch["id"] + self.offset
        return batch


ray.init(num_cpus=2)
ctx = ray.data.DataContext.get_current()
ctx.enable_progress_bars = False
ds = ray.data.range(200, override_num_blocks=4).map_batches(
    AddOne, concurrency=2, batch_size=50, num_cpus=0.5)  # leaves a CPU for the reads
total = 0
for batch in ds.iter_batches(batch_size=40, batch_format="numpy"):
    total += int(batch["id"].sum())
print("iter_batches total", total)
assert total == sum(range(1, 201))
rows = [{"k": i % 3, "v": i} for i in range(12)]
groups = ray.data.from_items(rows).groupby("k").sum("v").take_all()
print("groupby", sorted((g["k"], g["sum(v)"]) for g in groups))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
