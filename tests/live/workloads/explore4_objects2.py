"""More object forms: a large (plasma, 2 MB) numpy array passed by value; a ray.put ref
passed to two tasks and to an actor method, once as a keyword argument; refs inside a dict
(borrowed: the callee ray.get's them); an actor method with num_returns=2 whose returns go to
another actor; a ray.get of a list naming one ref twice. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import numpy as np
import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

BIG = 2 * 1024 * 1024  # bytes, over Ray's 100 KiB inline limit


@ray.remote
def size_of(arr, scale=1):
    return int(arr.nbytes) * scale


@ray.remote
def unpack(box):  # a dict of refs: borrowed, not resolved by Ray
    return sum(int(v.nbytes) for v in ray.get(list(box.values())))


@ray.remote
class Maker:
    @ray.method(num_returns=2)
    def pair(self, n):
        return np.full(n, 1, dtype=np.uint8), n


@ray.remote
class Taker:
    def take(self, arr, n=0):
        return int(arr.sum()) + n


ray.init(num_cpus=2)
print("by value", ray.get(size_of.remote(np.zeros(BIG, dtype=np.uint8))))
shared = ray.put(np.ones(BIG, dtype=np.uint8))
print("shared", ray.get([size_of.remote(shared), size_of.remote(arr=shared, scale=2)]))
print("dict", ray.get(unpack.remote({"a": shared, "b": ray.put(np.ones(10, dtype=np.uint8))})))
maker, taker = Maker.remote(), Taker.remote()
arr, n = maker.pair.remote(BIG)
print("actor to actor", ray.get(taker.take.remote(arr, n=n)))
print("shared to actor", ray.get(taker.take.remote(shared)))
small = size_of.remote(np.zeros(8, dtype=np.uint8))
print("twice", ray.get([small, small]))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
