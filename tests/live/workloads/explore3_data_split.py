"""Ray Data's Train data path: range(400) in 8 blocks -> map_batches(scale) ->
streaming_split(2, equal=True), each half consumed by one `Consumer` actor (`consume` x1 each,
iter_batches inside the actor); Ray Data runs the split through its own coordinator actor
(SplitCoordinator). Then range(100) -> map(tag) -> materialize() and two passes over the
materialized dataset in the driver (take_all, then iter_rows: the map runs once). No failures.
Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def scale(batch):
    batch["id"] = batch["id"] * 2
    return batch


def tag(row):
    return {"id": row["id"], "odd": row["id"] % 2}


@ray.remote(num_cpus=0.25)
class Consumer:
    def __init__(self, rank):
        self.rank = rank

    def consume(self, shard):
        rows = total = 0
        for batch in shard.iter_batches(batch_size=25, batch_format="numpy"):
            rows += len(batch["id"])
            total += int(batch["id"].sum())
        return self.rank, rows, total


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
ds = ray.data.range(400, override_num_blocks=8).map_batches(scale)
shards = ds.streaming_split(2, equal=True)
consumers = [Consumer.remote(i) for i in range(2)]
parts = ray.get([c.consume.remote(s) for c, s in zip(consumers, shards)])
print("split", parts)
assert sum(p[1] for p in parts) == 400 and sum(p[2] for p in parts) == 2 * sum(range(400))

mat = ray.data.range(100, override_num_blocks=4).map(tag).materialize()
first = mat.take_all()
odd = sum(r["odd"] for r in mat.iter_rows())
print("materialized", len(first), odd)
assert len(first) == 100 and odd == 50
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
