"""Tasks and actors under names the user gave them: `.options(name=...)` on a function (two
names for one function) and on an actor method call, a function with num_returns=2, and
ray.wait on a mix. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
def step(x):
    return x + 1


@ray.remote(num_returns=2)
def split(x):
    return x, -x


@ray.remote
class Acc:
    def add(self, x):
        return x


ray.init(num_cpus=2)
a = [step.options(name="load").remote(i) for i in range(3)]
b = [step.options(name="clean").remote(i) for i in range(2)]
left, right = split.remote(5)
acc = Acc.options(name="acc").remote()
c = acc.add.options(name="acc-add").remote(1)
ready, _ = ray.wait(a + b + [left, right, c], num_returns=8, timeout=30)
print("ready", len(ready), ray.get(ready))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
