"""A compiled graph InputNode -> A.f -> B.g, executed 3 times, where A.f raises on input 1:
Ray passes the error on to B's loop, which does not call g and writes the error on (the
driver's ray.get raises the KeyError), as a non-compiled graph would fail B.g by its input.
Then teardown(). Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.dag import InputNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=0)
class Step:
    def f(self, x):
        if x == 1:
            raise KeyError(f"f refuses {x}")
        return x + 1

    def g(self, x):
        return x * 2


ray.init(num_cpus=2)
a, b = Step.remote(), Step.remote()
with InputNode() as inp:
    dag = b.g.bind(a.f.bind(inp))
compiled = dag.experimental_compile()
outcomes = []
for i in range(3):
    try:
        outcomes.append(ray.get(compiled.execute(i)))
    except KeyError:
        outcomes.append("KeyError")
assert outcomes == [2, "KeyError", 6], outcomes
compiled.teardown()
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
