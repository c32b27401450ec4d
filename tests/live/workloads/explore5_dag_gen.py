"""A compiled Ray graph (dag.experimental_compile() on two CPU actors, three executes, then
teardown()) and a num_returns="dynamic" generator whose objects go to a task and the driver.
Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.dag import InputNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
class Stage:
    def __init__(self, k):
        self.k = k

    def scale(self, x):
        return x * self.k

    def shift(self, x):
        return x + self.k


@ray.remote(num_returns="dynamic")
def chunks(n):
    for i in range(n):
        yield [i] * 10


@ray.remote
def total(*parts):
    return sum(sum(p) for p in parts)


ray.init(num_cpus=2)
first, second = Stage.remote(2), Stage.remote(100)
with InputNode() as inp:
    dag = second.shift.bind(first.scale.bind(inp))
compiled = dag.experimental_compile()
print("compiled", [compiled.execute(i).get() for i in range(3)])
compiled.teardown()
gen = ray.get(chunks.remote(4))  # an ObjectRefGenerator: one ref per yield
refs = list(gen)
print("dynamic", ray.get(total.remote(*refs)), len(ray.get(refs)))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
