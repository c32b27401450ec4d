"""The recorder breaks inside every process (driver and workers); the job must not notice.
Also exercises chaining: the user's own worker_process_setup_hook runs after the recorder's."""

import ray

import flowinsight.recorder


def break_the_recorder():
    from flowinsight.recorder.emitter import EMITTER

    def broken(event):
        raise RuntimeError("recorder sabotaged on purpose")

    EMITTER._envelope.line = broken


@ray.remote
def double(x):
    return 2 * x


@ray.remote
class Counter:
    def __init__(self):
        self.n = 0

    def add(self, k):
        self.n += k
        return self.n


flowinsight.recorder.enable()
break_the_recorder()
ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
         runtime_env={"worker_process_setup_hook": break_the_recorder})
assert ray.get([double.remote(i) for i in range(10)]) == [2 * i for i in range(10)]
counter = Counter.remote()
assert ray.get([counter.add.remote(b) for b in (1, 2, 3)]) == [1, 3, 6]
assert ray.get(ray.put(b"x" * 1000)) == b"x" * 1000
print("results ok")
print("stats", flowinsight.recorder.stats())
ray.shutdown()
