"""Pools in ways not run before: ray.util.multiprocessing.Pool with an initializer (its
PoolActors run it once each), starmap over 6 pairs, map over 9 items with chunksize=3 and a
blocking apply; a ray.util.ActorPool built inside a task `fan_out` from 2 Worker handles the
driver passed it, whose map_unordered over 4 items makes fan_out the caller of every
Worker.work. No failure. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.util import ActorPool
from ray.util.multiprocessing import Pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

OFFSET = 0


def setup(offset):
    global OFFSET
    OFFSET = offset


def add(x, y):
    return x + y + OFFSET


def square(x):
    return x * x + OFFSET


@ray.remote(num_cpus=0)
class Worker:
    def work(self, x):
        return x * 3


@ray.remote(num_cpus=0.25)
def fan_out(workers, items):
    pool = ActorPool(workers)
    return sorted(pool.map_unordered(lambda a, v: a.work.remote(v), items))


ray.init(num_cpus=2)
with Pool(processes=2, initializer=setup, initargs=(1000,)) as pool:
    print("starmap", pool.starmap(add, [(i, i) for i in range(6)]))
    print("map", pool.map(square, range(9), chunksize=3))
    print("apply", pool.apply(square, (7,)))
workers = [Worker.remote() for _ in range(2)]
print("fan_out", ray.get(fan_out.remote(workers, list(range(4)))))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
