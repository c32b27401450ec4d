"""ray.util.multiprocessing.Pool: map (8 items), imap_unordered (6 items), apply_async of a
function that raises (the one real error: the driver gets it from .get()), plus a detached
named actor `registry` (namespace "explore") made by the driver and fetched with
ray.get_actor from inside a task, which calls it. Killed at the end (ray.kill: intended).
Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.util.multiprocessing import Pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def square(x):
    return x * x


def cube(x):
    return x * x * x


def explode(x):
    raise ValueError(f"explode: {x} fails on purpose")


@ray.remote
class Registry:
    def __init__(self):
        self.seen = []

    def add(self, item):
        self.seen.append(item)
        return len(self.seen)


@ray.remote
def report(item):
    registry = ray.get_actor("registry", namespace="explore")
    return ray.get(registry.add.remote(item))


ray.init(num_cpus=2, namespace="explore")
registry = Registry.options(name="registry", lifetime="detached").remote()
with Pool(processes=2) as pool:
    print("map", pool.map(square, range(8)))
    print("imap_unordered", sorted(pool.imap_unordered(cube, range(6))))
    result = pool.apply_async(explode, (3,))
    try:
        result.get()
    except ValueError as err:
        print("apply_async raised as meant:", err)
    else:
        raise SystemExit("explode did not raise")
print("report", ray.get([report.remote(i) for i in range(3)]))
print("registry holds", ray.get(registry.add.remote("driver")))
lib_state.dump("end", "all work done, before ray.kill(registry) and ray.shutdown()")
ray.kill(registry)
ray.shutdown()
