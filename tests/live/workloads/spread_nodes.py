"""A driver for an existing cluster (RAY_ADDRESS) of several nodes: on every node, a task that
calls another and passes it an object, and an actor, so that each node writes event files of
its own."""

import time

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

ray.init()


@ray.remote
def leaf(blob):
    return len(blob)


@ray.remote
def branch(n):
    return ray.get(leaf.remote(b"x" * n))


@ray.remote
class Counter:
    def add(self, n):
        return n + 1


nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
results = []
for i, node in enumerate(nodes):
    here = NodeAffinitySchedulingStrategy(node, soft=False)
    results.append(branch.options(scheduling_strategy=here).remote(1000 * (i + 1)))
    counter = Counter.options(scheduling_strategy=here, num_cpus=0).remote()
    results.append(counter.add.remote(i))
print("results", ray.get(results))
print("nodes", len(nodes))
# Ray writes task events about once a second (task_events_report_interval_ms) and loses what
# is still buffered when the job ends: give the last ones time to reach the files
time.sleep(2.5)
ray.shutdown()
