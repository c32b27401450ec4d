"""A STRICT_PACK placement group of two 1-CPU bundles: `Counter` (max_concurrency=4, 8 calls
of incr) in bundle 0, `Store` with concurrency groups io=2 / compute=1 (3 calls of read, 2 of
compute) in bundle 1; `flaky` (retry_exceptions=True) raises ValueError twice and succeeds on
the 3rd attempt; `doomed` (max_retries=0) raises RuntimeError once: the one true failure.
Truth: lib_state phase `end`."""

import os
import sys
from pathlib import Path

import ray
from ray.util.placement_group import placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=1, max_concurrency=4)
class Counter:
    def __init__(self):
        self.n = 0

    def incr(self, k):
        self.n += k
        return self.n


@ray.remote(num_cpus=1, concurrency_groups={"io": 2, "compute": 1})
class Store:
    @ray.method(concurrency_group="io")
    def read(self, key):
        return f"value-{key}"

    @ray.method(concurrency_group="compute")
    def compute(self, x):
        return sum(range(x))


@ray.remote(max_retries=3, retry_exceptions=True, num_cpus=0)
def flaky(marker):
    with open(marker, "ab") as f:
        f.write(b"x")
    if os.path.getsize(marker) < 3:
        raise ValueError("flaky: fails on purpose")
    return os.path.getsize(marker)


@ray.remote(max_retries=0, num_cpus=0)
def doomed():
    raise RuntimeError("doomed: the one real failure")


ray.init(num_cpus=2)
pg = placement_group([{"CPU": 1}, {"CPU": 1}], strategy="STRICT_PACK")
ray.get(pg.ready())
counter = Counter.options(scheduling_strategy=PlacementGroupSchedulingStrategy(
    pg, placement_group_bundle_index=0)).remote()
store = Store.options(scheduling_strategy=PlacementGroupSchedulingStrategy(
    pg, placement_group_bundle_index=1)).remote()
print("incr", ray.get([counter.incr.remote(k) for k in range(8)]))
print("read", ray.get([store.read.remote(k) for k in range(3)]))
print("compute", ray.get([store.compute.remote(x) for x in (10, 100)]))
print("flaky succeeded with", ray.get(flaky.remote(str(Path.cwd() / "flaky.marker"))))
try:
    ray.get(doomed.remote())
except ray.exceptions.RayTaskError as err:
    print("doomed failed as meant:", type(err).__name__)
else:
    raise SystemExit("doomed did not fail")
lib_state.dump("end", "all work done, before remove_placement_group and ray.shutdown()")
remove_placement_group(pg)
ray.shutdown()
