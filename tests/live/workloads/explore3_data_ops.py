"""Ray Data from local files: the program writes 3 small CSV files and 2 JSON-lines files, then
read_csv -> filter -> flat_map -> add_column, union with read_json, random_shuffle -> sort ->
repartition(3) -> take(5); a second dataset range(60) in 6 blocks -> map_batches (slow but on
the first block) -> limit(7) -> take_all (Ray Data stops the upstream work once the limit is
reached: what it cancels is an intended end); a third read_json -> iter_batches in the driver,
and a fourth read_json -> write_parquet. No failures. Truth: lib_state phase `end`."""

import json
import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def even(row):
    return row["n"] % 2 == 0


def twice(row):
    return [{"n": row["n"], "tag": "a"}, {"n": row["n"] + 1000, "tag": "b"}]


def slow_but_first(batch):
    if batch["id"][0] > 0:  # every block but the first: the limit is reached before they end
        time.sleep(3)
    return batch


csv_dir, json_dir = Path.cwd() / "csv_in", Path.cwd() / "json_in"
csv_dir.mkdir()
json_dir.mkdir()
for f in range(3):
    rows = "\n".join(f"{f * 100 + i},{f}" for i in range(40))
    (csv_dir / f"part{f}.csv").write_text(f"n,src\n{rows}\n")
for f in range(2):
    (json_dir / f"part{f}.jsonl").write_text(
        "".join(json.dumps({"n": f * 50 + i, "tag": "j"}) + "\n" for i in range(20)))

ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
csv = (ray.data.read_csv(str(csv_dir)).filter(even).flat_map(twice)
       .add_column("sq", lambda df: df["n"] * df["n"]))
js = ray.data.read_json(str(json_dir)).add_column("sq", lambda df: df["n"] * 2)
top = csv.union(js).random_shuffle(seed=7).sort("n", descending=True).repartition(3).take(5)
print("top", [r["n"] for r in top])
assert [r["n"] for r in top] == [1238, 1236, 1234, 1232, 1230]

limited = (ray.data.range(60, override_num_blocks=6)
           .map_batches(slow_but_first, batch_size=None).limit(7).take_all())
print("limited", len(limited))
assert len(limited) == 7

seen = 0
for batch in ray.data.read_json(str(json_dir)).iter_batches(batch_size=8, batch_format="pandas"):
    seen += len(batch)
assert seen == 40
out = Path.cwd() / "parquet_out"
ray.data.read_json(str(json_dir)).write_parquet(str(out))
print("seen", seen, "wrote", len(list(out.iterdir())), "files")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
