"""Ray Data operators composed as users write them, in one program: two range datasets
(40 rows in 4 blocks each, the second shifted by 100) -> union -> map_batches(tag) ->
groupby("bucket").map_groups(summarize) (4 buckets: 4 rows); a zip of range(30) with
range(30).map(square) (3 blocks each) -> repartition(4, shuffle=True) -> write_parquet to a temp
folder, then read_parquet of it back (30 rows, ids and squares checked); and range(60) in 6
blocks -> map_batches(double) -> streaming_split(2, equal=True), each half consumed by one
`Reader` actor (`total` x1 each). No failures. Truth: lib_state phase `end`."""

import sys
import tempfile
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def tag(batch):
    batch["bucket"] = batch["id"] % 4
    return batch


def summarize(group):
    return {"bucket": group["bucket"][:1], "n": [len(group["id"])], "sum": [group["id"].sum()]}


def square(row):
    return {"sq": row["id"] ** 2}


def double(batch):
    batch["id"] = batch["id"] * 2
    return batch


@ray.remote(num_cpus=0.25)
class Reader:
    def total(self, shard):
        return sum(int(b["id"].sum()) for b in shard.iter_batches(batch_size=5))


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
left = ray.data.range(40, override_num_blocks=4)
right = ray.data.range(40, override_num_blocks=4).map_batches(
    lambda b: {"id": b["id"] + 100})
groups = sorted(left.union(right).map_batches(tag).groupby("bucket").map_groups(summarize)
                .take_all(), key=lambda r: r["bucket"])
print("groups", groups)
assert [(g["bucket"], g["n"]) for g in groups] == [(b, 20) for b in range(4)]

base = ray.data.range(30, override_num_blocks=3)
zipped = base.zip(base.map(square)).repartition(4, shuffle=True)
with tempfile.TemporaryDirectory() as folder:
    zipped.write_parquet(folder)
    back = sorted(ray.data.read_parquet(folder).take_all(), key=lambda r: r["id"])
print("parquet rows", len(back))
assert [(r["id"], r["sq"]) for r in back] == [(i, i * i) for i in range(30)]

halves = ray.data.range(60, override_num_blocks=6).map_batches(double).streaming_split(
    2, equal=True)
readers = [Reader.remote() for _ in halves]
totals = ray.get([r.total.remote(h) for r, h in zip(readers, halves)])
print("totals", totals)
assert sum(totals) == 2 * sum(range(60))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
