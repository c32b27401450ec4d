"""A dataset iterated for three epochs, as a training loop does: range(40) in 4 blocks ->
map_batches(double), consumed with iter_batches three times. Ray Data runs it again each time
under a new id (`<name>_<uuid>_0`, `_1`, `_2`), each with the same plan and 4 tasks. Truth:
lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def double(batch):
    return {"id": batch["id"] * 2}


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
ds = ray.data.range(40, override_num_blocks=4).map_batches(double)
for epoch in range(3):
    rows = sum(len(b["id"]) for b in ds.iter_batches(batch_size=10))
    print("epoch", epoch, rows)
    assert rows == 40
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
