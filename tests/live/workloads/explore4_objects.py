"""Objects in forms not seen before: a task with num_returns=2 whose two refs go to two
consumers; refs passed inside a list (borrowed: the callee ray.get's them); a task returning a
ref it made with ray.put (a nested ref); small (inlined) and large (plasma, 2 MB) args and
returns; ray.wait(fetch_local=True); a ray.dag of functions (f.bind, dag.execute()) and one of
actor methods. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import numpy as np
import ray
from ray.dag import InputNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

BIG = 2 * 1024 * 1024  # bytes, over Ray's 100 KiB inline limit: in plasma


@ray.remote(num_returns=2)
def split(n):
    return list(range(n)), np.zeros(BIG, dtype=np.uint8)


@ray.remote
def count(xs):
    return len(xs)


@ray.remote
def gather(refs):  # a list of refs: borrowed, not resolved by Ray
    return sum(len(x) for x in ray.get(refs))


@ray.remote
def make_nested():
    return ray.put(np.ones(BIG, dtype=np.uint8))


@ray.remote
def add(a, b):
    return a + b


@ray.remote
def double(x):
    return 2 * x


@ray.remote
class Acc:
    def __init__(self):
        self.total = 0

    def push(self, x):
        self.total += x
        return self.total


ray.init(num_cpus=2)
small, big = split.remote(5)
print("count", ray.get([count.remote(small), count.remote(big)]))
print("gather", ray.get(gather.remote([small, big])))
inner = ray.get(make_nested.remote())
print("nested", int(ray.get(inner).sum()))
ready, _ = ray.wait([double.remote(7)], fetch_local=True)
print("wait", ray.get(ready))
with InputNode() as inp:
    dag = add.bind(double.bind(inp), double.bind(3))
print("dag", ray.get(dag.execute(5)))
acc = Acc.remote()
with InputNode() as inp:
    adag = acc.push.bind(double.bind(inp))
print("actor dag", ray.get(adag.execute(4)), ray.get(adag.execute(1)))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
