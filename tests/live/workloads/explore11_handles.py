"""Actor handles passed around: the driver makes `Tally` and passes its handle to 5 `use_tally`
tasks, each calling Tally.add (their caller is the task, not main), and to a `Relay` actor whose
`forward` calls Tally.add twice; a `Parent` actor's `spawn` creates a `Child` actor and calls
its `work` 3 times (nested actors); a detached named actor `reg11` (namespace "explore11") made
by the driver is looked up with ray.get_actor from a `lookup` task, which calls its `put`, then
the driver kills it (intended). No failure. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=0)
class Tally:
    def __init__(self):
        self.total = 0

    def add(self, x):
        self.total += x
        return self.total

    def read(self):
        return self.total


@ray.remote(num_cpus=0.25)
def use_tally(tally, i):
    return ray.get(tally.add.remote(i))


@ray.remote(num_cpus=0)
class Relay:
    def __init__(self, tally):
        self.tally = tally

    def forward(self, x):
        return ray.get([self.tally.add.remote(x), self.tally.add.remote(x)])


@ray.remote(num_cpus=0)
class Child:
    def work(self, x):
        return x * 10


@ray.remote(num_cpus=0)
class Parent:
    def spawn(self, n):
        child = Child.remote()
        return ray.get([child.work.remote(i) for i in range(n)])


@ray.remote(num_cpus=0)
class Registry:
    def __init__(self):
        self.items = {}

    def put(self, key, value):
        self.items[key] = value
        return len(self.items)


@ray.remote(num_cpus=0.25)
def lookup(key):
    registry = ray.get_actor("reg11", namespace="explore11")
    return ray.get(registry.put.remote(key, key.upper()))


ray.init(num_cpus=2)
tally = Tally.remote()
print("tasks", ray.get([use_tally.remote(tally, i) for i in range(1, 6)]))
relay = Relay.remote(tally)
print("relay", ray.get(relay.forward.remote(100)))
print("total", ray.get(tally.read.remote()))
parent = Parent.remote()
print("nested", ray.get(parent.spawn.remote(3)))
registry = Registry.options(name="reg11", namespace="explore11", lifetime="detached").remote()
print("lookup", ray.get([lookup.remote("a"), lookup.remote("b")]))
ray.kill(registry)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
