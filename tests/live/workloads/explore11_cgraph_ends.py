"""Compiled graphs that end untidily: graph one (A.f -> B.f), 5 executes, then the driver kills
B with ray.kill (intended) and the next execute fails (the driver catches the error), then
teardown(), then asks A how often its f ran (`Step.runs`); graph two (C.f -> D.f), 3
executes, never torn down by the program: Ray's own shutdown tears it down when the driver
exits. No task raised. Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray
from ray.dag import InputNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=0)
class Step:
    def __init__(self):
        self.ran = 0

    def f(self, x):
        self.ran += 1
        return x + 1

    def runs(self):
        return self.ran


ray.init(num_cpus=2)
a, b = Step.remote(), Step.remote()
with InputNode() as inp:
    one = b.f.bind(a.f.bind(inp)).experimental_compile()
print("one", [ray.get(one.execute(i)) for i in range(5)])
ray.kill(b)
time.sleep(1)
try:
    print("after kill", ray.get(one.execute(9), timeout=20))
except Exception as err:  # noqa: BLE001  (which error depends on where the graph notices)
    print("after kill raised", type(err).__name__)
one.teardown()
# whether A's loop ran f for the execute after the kill depends on where the graph noticed;
# A, alive, says how often f ran in it (the note of the truth's `end`)
a_ran = ray.get(a.runs.remote())
c, d = Step.remote(), Step.remote()
with InputNode() as inp:
    two = d.f.bind(c.f.bind(inp)).experimental_compile()
print("two", [ray.get(two.execute(i)) for i in range(3)])
lib_state.dump("end", f"a_ran={a_ran}: all work done, graph two still compiled, before "
               "ray.shutdown()")
ray.shutdown()
