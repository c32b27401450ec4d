"""Map-reduce over ObjectRefs: 4 `map_small` tasks return 8 kB each (under Ray's 100 KiB limit,
so Ray inlines them into the reducers' task specs), 4 `map_large` tasks return 400 kB each (in
the object store); 2 `reduce_parts` tasks each take 2 small and 2 large refs as arguments;
the driver gets both sums. No failures. Truth: lib_state phases `refs_held` (the map outputs
still referenced by the driver, so list_objects shows them) and `end`."""

import sys
from pathlib import Path

import numpy as np
import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

SMALL, LARGE = 8_000, 400_000


@ray.remote
def map_small(i):
    return np.full(SMALL, i, dtype=np.uint8)


@ray.remote
def map_large(i):
    return np.full(LARGE, i, dtype=np.uint8)


@ray.remote
def reduce_parts(*parts):
    return int(sum(int(p.sum()) for p in parts))


ray.init(num_cpus=2)
small = [map_small.remote(i) for i in range(4)]
large = [map_large.remote(i) for i in range(4)]
reduces = [reduce_parts.remote(small[0], small[1], large[0], large[1]),
           reduce_parts.remote(small[2], small[3], large[2], large[3])]
print("sums", ray.get(reduces))
lib_state.dump("refs_held", "map outputs and reduce results still referenced by the driver")
del small, large, reduces
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
