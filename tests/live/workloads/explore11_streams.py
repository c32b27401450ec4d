"""Streaming generators and a ray.wait pipeline: `produce` (num_returns="streaming") yields 10
items the driver consumes one by one while 3 `side` tasks run; `Feed.items` (an actor method
that is a generator: streaming by default) yields 5 items; a ray.wait(num_returns=1) loop keeps
3 `work` tasks in flight, submitting the next as each finishes, 10 in all: the first 7 finish,
the last 3 (30 s naps) are still pending when the driver cancels them with ray.cancel
(intended, not failures). No real failure. Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_returns="streaming", num_cpus=0.5)
def produce(n):
    for i in range(n):
        time.sleep(0.05)
        yield i * i


@ray.remote(num_cpus=0.5)
def side(i):
    time.sleep(0.3)
    return i


@ray.remote(num_cpus=0)
class Feed:
    def items(self, n):
        for i in range(n):
            yield f"item-{i}"


@ray.remote(num_cpus=0.5)
def work(i, nap):
    time.sleep(nap)
    return i


ray.init(num_cpus=2)
sides = [side.remote(i) for i in range(3)]
got = [ray.get(ref) for ref in produce.remote(10)]
print("streamed", got, "sides", ray.get(sides))
feed = Feed.remote()
print("actor stream", [ray.get(ref) for ref in feed.items.remote(5)])

TOTAL, WINDOW, FINISH = 10, 3, 7
submitted = 0
pending = []
while submitted < WINDOW:
    pending.append(work.remote(submitted, 0.2))
    submitted += 1
finished = 0
while finished < FINISH:
    done, pending = ray.wait(pending, num_returns=1)
    finished += len(done)
    ray.get(done)
    if submitted < TOTAL:  # the last 3 nap for 30 s: still pending when cancelled
        pending.append(work.remote(submitted, 0.2 if submitted < FINISH else 30))
        submitted += 1
assert len(pending) == TOTAL - FINISH, pending
time.sleep(0.5)
for ref in pending:
    ray.cancel(ref)
for ref in pending:
    try:
        ray.get(ref, timeout=30)
    except ray.exceptions.TaskCancelledError:
        print("cancelled", ref)
    else:
        raise SystemExit("a cancelled work task finished")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
