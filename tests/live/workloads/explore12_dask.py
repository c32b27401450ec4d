"""Dask on Ray: dask graphs run by Ray's scheduler (ray.util.dask.ray_dask_get), each dask task
a Ray task named `dask:<key>`. A dask.delayed pipeline (4 loads -> 4 cleans -> one combine)
computed once, and a dask.array (20 x 20 ones in 4 chunks of 10 x 10) summed. Truth:
lib_state phase `end`."""

import sys
from pathlib import Path

import dask
import dask.array as da
import ray
from ray.util.dask import ray_dask_get

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def load(i):
    return list(range(i * 10, i * 10 + 10))


def clean(rows):
    return [r for r in rows if r % 2 == 0]


def combine(parts):
    return sum(sum(p) for p in parts)


ray.init(num_cpus=2)
parts = [dask.delayed(clean)(dask.delayed(load)(i)) for i in range(4)]
total = dask.delayed(combine)(parts).compute(scheduler=ray_dask_get)
print("total", total)
assert total == sum(r for r in range(40) if r % 2 == 0)
ones = da.ones((20, 20), chunks=(10, 10)).sum().compute(scheduler=ray_dask_get)
print("ones", ones)
assert ones == 400
lib_state.dump("end", "both graphs computed, before ray.shutdown()")
ray.shutdown()
