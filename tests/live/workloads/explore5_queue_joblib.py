"""A ray.util.queue.Queue (Ray runs it as an actor, _QueueActor) shared by producer tasks and
consumer actors, then joblib on Ray (register_ray; joblib.Parallel(backend="ray")) when joblib
is installed. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.util.queue import Queue

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
def produce(q, start, n):
    for i in range(start, start + n):
        q.put(i)
    return n


@ray.remote
class Consumer:
    def __init__(self, q):
        self.q = q

    def drain(self, n):
        return sum(self.q.get(timeout=20) for _ in range(n))


def square(x):
    return x * x


ray.init(num_cpus=2)
q = Queue(maxsize=100)
consumers = [Consumer.remote(q) for _ in range(2)]
print("produced", ray.get([produce.remote(q, 0, 3), produce.remote(q, 10, 3)]))
print("drained", sum(ray.get([c.drain.remote(3) for c in consumers])))
try:
    import joblib
    from ray.util.joblib import register_ray
except ImportError:  # joblib is not a Ray dependency
    print("joblib missing")
else:
    register_ray()
    with joblib.parallel_backend("ray"):
        print("joblib", joblib.Parallel(n_jobs=2)(joblib.delayed(square)(i) for i in range(6)))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
