"""Ends at the driver's exit, and values passed in unusual ways. At ray.shutdown() a `forever`
task is still running, a `Keeper` actor is alive with its `hold` call running, and a detached
named actor `Registry` is alive: Ray ends them all, no failures. `ray.get(late, timeout=1)`
raises GetTimeoutError in the driver; `late` finishes 3 s later, unread. Values: `pair`
(num_returns=2) sends its first return to `left` and its second to `right`; `nested` gets two
`make` refs inside a list and a dict (borrowed, not resolved by Ray) and `ray.get`s them itself.
Truth: lib_state phase `end` (before ray.shutdown)."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
def forever():
    time.sleep(300)


@ray.remote
def late():
    time.sleep(4)
    return "late"


@ray.remote(num_returns=2)
def pair():
    return b"a" * 200_000, b"b" * 300


@ray.remote
def left(a):
    return len(a)


@ray.remote
def right(b):
    return len(b)


@ray.remote
def make(n):
    return b"m" * n


@ray.remote
def nested(in_list, in_dict):
    return len(ray.get(in_list[0])) + len(ray.get(in_dict["ref"]))


@ray.remote(num_cpus=0)
class Keeper:
    def ping(self):
        return "pong"

    def hold(self):
        time.sleep(300)


@ray.remote(num_cpus=0)
class Registry:
    def names(self):
        return ["a", "b"]


ray.init(num_cpus=2)
slow = late.remote()
try:
    ray.get(slow, timeout=1)
except ray.exceptions.GetTimeoutError:
    print("late: GetTimeoutError")
first, second = pair.remote()
print("pair", ray.get([left.remote(first), right.remote(second)]))
print("nested", ray.get(nested.remote([make.remote(150_000)], {"ref": make.remote(100)})))
keeper = Keeper.remote()
registry = Registry.options(name="registry", lifetime="detached").remote()
print("actors", ray.get([keeper.ping.remote(), registry.names.remote()]))
holding = keeper.hold.remote()
running = forever.remote()
time.sleep(4)  # late has finished; hold and forever run
lib_state.dump("end", "forever, Keeper.hold running; Keeper, Registry alive; before ray.shutdown()")
ray.shutdown()
