"""Streams that end badly: `broken` (num_returns="streaming") raises ValueError after 3 yields
(the driver gets the 3 items, then the error at the 4th: a real failure); `Feed.bad`, an actor
generator method, raises KeyError after 2 yields (a real failure); `endless` yields every 0.1 s
until the driver, having read 3 items, cancels it with ray.cancel on its generator (intended).
Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(num_returns="streaming", num_cpus=0.5)
def broken(n):
    for i in range(n):
        yield i
    raise ValueError(f"broken: the stream breaks after {n} items, on purpose")


@ray.remote(num_returns="streaming", num_cpus=0.5)
def endless():
    i = 0
    while True:
        time.sleep(0.1)
        yield i
        i += 1


@ray.remote(num_cpus=0)
class Feed:
    def bad(self, n):
        for i in range(n):
            yield i
        raise KeyError(f"bad: the actor stream breaks after {n} items, on purpose")


def drain(gen, expected_error):
    got = []
    try:
        for ref in gen:
            got.append(ray.get(ref))
    except expected_error as err:
        return got, type(err).__name__
    raise SystemExit(f"no {expected_error.__name__} from the stream")


ray.init(num_cpus=2)
print("broken", drain(broken.remote(3), ValueError))
feed = Feed.remote()
print("bad", drain(feed.bad.remote(2), KeyError))
gen = endless.remote()
print("endless", [ray.get(next(gen)) for _ in range(3)])
ray.cancel(gen)
print("endless cancelled", drain(gen, ray.exceptions.TaskCancelledError)[1])
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
