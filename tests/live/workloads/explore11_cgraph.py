"""A compiled graph of three actors in a chain, InputNode -> A.f -> B.g -> C.h, compiled with
experimental_compile(), executed 20 times, then torn down (teardown(): intended, no failure).
The driver then calls each actor's `count` once as a plain actor task. A second graph of two
new actors, D.f -> E.picky, executed 5 times, where E.picky raises on input 3 (the driver gets the
ValueError from the graph's output channel; the actor loop goes on: Ray records no failed task),
torn down with teardown(kill_actors=True) (ray.kill of D and E: intended). Truth: lib_state
phase `end`."""

import sys
from pathlib import Path

import ray
from ray.dag import InputNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=0)
class Step:
    def __init__(self, k):
        self.k = k
        self.seen = 0

    def f(self, x):
        self.seen += 1
        return x + self.k

    def g(self, x):
        self.seen += 1
        return x * self.k

    def h(self, x):
        self.seen += 1
        return x - self.k

    def picky(self, x):
        if x == 3 + self.k:
            raise ValueError(f"picky: {x} is refused on purpose")
        return x

    def count(self):
        return self.seen


ray.init(num_cpus=2)
a, b, c = Step.remote(1), Step.remote(2), Step.remote(3)
with InputNode() as inp:
    dag = c.h.bind(b.g.bind(a.f.bind(inp)))
compiled = dag.experimental_compile()
results = [ray.get(compiled.execute(i)) for i in range(20)]
assert results == [(i + 1) * 2 - 3 for i in range(20)], results
compiled.teardown()
print("counts", ray.get([s.count.remote() for s in (a, b, c)]))
d, e = Step.remote(1), Step.remote(1)
with InputNode() as inp:
    dag2 = e.picky.bind(d.f.bind(inp))
compiled2 = dag2.experimental_compile()
outcomes = []
for i in range(5):
    try:
        outcomes.append(ray.get(compiled2.execute(i)))
    except ValueError as err:
        outcomes.append("ValueError")  # RayTaskError(ValueError), a ValueError
assert outcomes == [1, 2, 3, "ValueError", 5], outcomes
compiled2.teardown(kill_actors=True)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
