"""Ray Data with a callable-class UDF on an actor pool that scales: range(640) in 16 blocks ->
map_batches(Scale, compute=ActorPoolStrategy(min_size=1, max_size=3)) -> map_batches(Tag,
concurrency=(1, 2)) -> filter(even), consumed with iter_batches; each Scale call sleeps 0.3 s
so its queue grows (2 tasks in flight per actor: utilization 2 >= Ray Data's 1.75) and its
pool scales up (4 logical CPUs: the budget allows it). When the dataset is done Ray Data lets
its pools' actors go (intended ends, not failures), and kills any actor it asked for that had
not started yet (its creation FAILED WORKER_DIED, its get_location TASK_CANCELLED: intended
too). No failures.
Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


class Scale:
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, batch):
        time.sleep(0.3)
        batch["id"] = batch["id"] * self.factor
        return batch


class Tag:
    def __init__(self):
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        batch["tag"] = batch["id"] % 7
        return batch


def even(row):
    return row["id"] % 2 == 0


ray.init(num_cpus=4)
ray.data.DataContext.get_current().enable_progress_bars = False
ds = (ray.data.range(640, override_num_blocks=16)
      .map_batches(Scale, fn_constructor_kwargs={"factor": 3}, batch_size=None,
                   compute=ray.data.ActorPoolStrategy(min_size=1, max_size=3),
                   num_cpus=0.25)
      .map_batches(Tag, concurrency=(1, 2), batch_size=None, num_cpus=0.25)
      .filter(even))
rows = 0
for batch in ds.iter_batches(batch_size=100, batch_format="numpy"):
    rows += len(batch["id"])
assert rows == 320, rows
del ds
time.sleep(2)  # Ray Data's pools are let go when the execution ends
print("done", rows)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
