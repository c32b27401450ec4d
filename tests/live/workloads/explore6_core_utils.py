"""Ray Core utilities: a ray.util.ActorPool of 3 Workers used by map (ordered, 6 items), by
submit/get_next (4 items, one of which raises: the one real failure, caught by the driver),
pop_idle/push; a detached named actor `ledger` (namespace "explore6") looked up with
ray.get_actor from a task, which calls it and then kills it with ray.kill (intended); a
restartable actor killed by the driver with ray.kill(no_restart=False), which Ray restarts
(intended: asked for), then called again. Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray
from ray.util import ActorPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_cpus=0)
class Worker:
    def work(self, x):
        if x == 13:
            raise ValueError("work: 13 fails on purpose")
        return x + 100


@ray.remote(num_cpus=0)
class Ledger:
    def __init__(self):
        self.items = []

    def record(self, item):
        self.items.append(item)
        return len(self.items)


@ray.remote(num_cpus=0, max_restarts=1)
class Phoenix:
    def ping(self):
        return "up"


@ray.remote
def settle(n):
    ledger = ray.get_actor("ledger", namespace="explore6")
    held = ray.get([ledger.record.remote(i) for i in range(n)])
    ray.kill(ledger)
    return held[-1]


ray.init(num_cpus=2, namespace="explore6")
pool = ActorPool([Worker.remote() for _ in range(3)])
print("map", list(pool.map(lambda a, v: a.work.remote(v), range(6))))
for v in (1, 2, 13, 4):
    pool.submit(lambda a, v: a.work.remote(v), v)
got, raised = [], 0
while pool.has_next():
    try:
        got.append(pool.get_next())
    except ValueError:
        raised += 1
assert raised == 1 and sorted(got) == [101, 102, 104], (got, raised)
idle = pool.pop_idle()
print("idle", ray.get(idle.work.remote(7)))
pool.push(idle)
ledger = Ledger.options(name="ledger", lifetime="detached").remote()
print("ledger", ray.get(ledger.record.remote("driver")))
print("settled", ray.get(settle.remote(3)))
phoenix = Phoenix.remote()
print("phoenix", ray.get(phoenix.ping.remote()))
ray.kill(phoenix, no_restart=False)
for _ in range(50):
    try:
        print("phoenix again", ray.get(phoenix.ping.remote()))
        break
    except ray.exceptions.RayActorError:
        time.sleep(0.2)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
