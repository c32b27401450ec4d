"""Ray Data file IO on a temp dir, groupby and driver-side consumption: range(120) in 4
blocks -> map(keyed) -> write_parquet(dir/pq); read_parquet(dir/pq) -> map_batches(double) ->
groupby("k").map_groups(total) -> take_all; read_parquet -> groupby("k").count();
read_parquet -> groupby("k").aggregate(Sum("id"), Max("id")) (each groupby in 2 partitions:
the count's and the aggregate's operators have one name, HashAggregateMap/Reduce(...));
read_parquet -> write_csv; read_csv -> filter(small) -> write_json; read_json ->
materialize() then iter_batches on the driver. No failures. Truth: lib_state phase `end`."""

import sys
import tempfile
from pathlib import Path

import ray
from ray.data.aggregate import Max, Sum

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def keyed(row):
    return {"id": row["id"], "k": row["id"] % 4}


def double(batch):
    batch["id"] = batch["id"] * 2
    return batch


def total(group):
    return {"k": group["k"][:1], "n": [len(group["id"])], "s": [int(group["id"].sum())]}


def small(row):
    return row["id"] < 60


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
top = Path(tempfile.mkdtemp(prefix="explore6_io_", dir="."))
pq, csv, js = (str((top / d).resolve()) for d in ("pq", "csv", "json"))
ray.data.range(120, override_num_blocks=4).map(keyed).write_parquet(pq)
groups = (ray.data.read_parquet(pq).map_batches(double).groupby("k", num_partitions=2)
          .map_groups(total).take_all())
assert sorted(r["n"] for r in groups) == [30] * 4, groups
counts = ray.data.read_parquet(pq).groupby("k", num_partitions=2).count().take_all()
assert sorted(r["count()"] for r in counts) == [30] * 4, counts
aggs = ray.data.read_parquet(pq).groupby("k", num_partitions=2).aggregate(
    Sum("id"), Max("id")).take_all()
assert sum(r["sum(id)"] for r in aggs) == sum(range(120)), aggs
ray.data.read_parquet(pq).write_csv(csv)
ray.data.read_csv(csv).filter(small).write_json(js)
held = ray.data.read_json(js).materialize()
seen = 0
for batch in held.iter_batches(batch_size=16, batch_format="pandas"):
    seen += len(batch)
assert seen == 60, seen
print("done", seen)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
