"""Ray Data's all-to-all and limit operators, each in a dataset of its own: range(40) in 4
blocks -> random_shuffle(seed=3); -> sort("id", descending=True) -> take(3) (a limit=3);
-> repartition(3, shuffle=True); -> groupby("k", num_partitions=2).count() (an aggregate);
-> groupby("k", num_partitions=2).map_groups(total); -> limit(5); a union with a range of 2
blocks; a zip with a range of 3 blocks. Ray Data 2.60 submits the tasks of the random
shuffle, the repartition, the sort's sampling, the limits and the zip under their functions'
names only (map, reduce, _sample_block, slice_fn, _zip_one_block, _split_single_block), without
its operator label. No failures. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def keyed(row):
    return {"id": row["id"], "k": row["id"] % 3}


def total(group):
    return {"k": group["k"][:1], "n": [len(group["id"])]}


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False


def blocks():
    return ray.data.range(40, override_num_blocks=4)


shuffled = blocks().random_shuffle(seed=3).take_all()
assert sorted(r["id"] for r in shuffled) == list(range(40))
top = blocks().sort("id", descending=True).take(3)
assert [r["id"] for r in top] == [39, 38, 37]
# count() alone would be answered from the plan's metadata: nothing would run
assert len(blocks().repartition(3, shuffle=True).take_all()) == 40
counts = blocks().map(keyed).groupby("k", num_partitions=2).count().take_all()
assert sorted(r["count()"] for r in counts) == [13, 13, 14]
groups = blocks().map(keyed).groupby("k", num_partitions=2).map_groups(total).take_all()
assert sorted(r["n"] for r in groups) == [13, 13, 14]
assert len(blocks().limit(5).take_all()) == 5
assert blocks().union(ray.data.range(10, override_num_blocks=2)).count() == 50
zipped = blocks().zip(ray.data.range(40, override_num_blocks=3)).take_all()
assert all(r["id"] == r["id_1"] for r in zipped)
print("done")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
