"""A node's death on a real local cluster of three nodes (ray.cluster_utils.Cluster, started by
this driver): a head and nodes A and B, one CPU each, each with a temp dir of its own (so that
each writes its own session directory, as separate machines do; see test_engine_ray_nodes.py).

On B: two short tasks that finish; two long tasks (max_retries default 3) pinned softly, whose
retries run elsewhere once B is gone; one long task pinned hard with max_retries=0; an actor
(max_restarts=0) with a long call running and one queued behind it. Then B is killed
(`remove_node(allow_graceful=False)`: SIGKILL to its raylet and workers), the GCS declares it
dead after its health checks fail (fast here), the driver catches each error, and Ray's State
API (detail=True) is dumped at the end (`lib_state.dump`). `nodes.json` in the working
directory names each node's id and session directory.

Run with cwd = a fresh temp dir and the harness's environment (RAY_TMPDIR, export API on).
"""

import json
import os
import sys
import time
from pathlib import Path

# the GCS declares a silent node dead within ~2 s, not the default half minute
os.environ.update(RAY_health_check_period_ms="500", RAY_health_check_failure_threshold="4",
                  RAY_health_check_initial_delay_ms="0", RAY_health_check_timeout_ms="500")

import ray  # noqa: E402
from ray._private import ray_constants  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

ray_constants.ENABLE_RAY_CLUSTER = False  # one machine: every address 127.0.0.1
LONG_S = 600  # "forever": only B's death ends it

work = Path.cwd()
(work / "ray").mkdir(exist_ok=True)  # RAY_TMPDIR: Ray writes its latest cluster's address there
cluster = Cluster()
nodes = []
for i, role in enumerate(("head", "a", "b")):
    home = work / f"n{i}"
    home.mkdir()
    os.chdir(home)  # the node's processes start here
    nodes.append(cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1",
                                  temp_dir=str(home / "ray"), resources={role: 1}))
os.chdir(work)
cluster.wait_for_nodes()
ray.init(address=cluster.address, logging_level="ERROR")
head, a, b = (n.node_id for n in nodes)


@ray.remote
def quick(n):
    return n * 2


@ray.remote
def slow(tag):
    """Long on B (B's death ends it), quick where a retry lands."""
    if ray.get_runtime_context().get_node_id() == b:
        time.sleep(LONG_S)
    return tag


@ray.remote(max_restarts=0)
class Keeper:
    def ping(self):
        return ray.get_runtime_context().get_node_id()

    def hold(self):
        time.sleep(LONG_S)


soft_b = NodeAffinitySchedulingStrategy(b, soft=True)
hard_b = NodeAffinitySchedulingStrategy(b, soft=False)
assert ray.get([quick.options(scheduling_strategy=hard_b).remote(i) for i in (1, 2)]) == [2, 4]
keeper = Keeper.options(scheduling_strategy=hard_b, num_cpus=0).remote()
assert ray.get(keeper.ping.remote()) == b
# B has one CPU: each long task needs none, so that all run there at once
retried = [slow.options(scheduling_strategy=soft_b, num_cpus=0).remote(f"r{i}")
           for i in range(2)]
once = slow.options(scheduling_strategy=hard_b, num_cpus=0, max_retries=0).remote("once")
held = keeper.hold.remote()
queued = keeper.ping.remote()
time.sleep(4)  # all started on B, and their RUNNING reported (task events: each second)

cluster.remove_node(nodes[2], allow_graceful=False)
assert ray.get(retried, timeout=120) == ["r0", "r1"]
errors = {}
for name, ref in (("once", once), ("held", held), ("queued", queued)):
    try:
        ray.get(ref, timeout=120)
        errors[name] = "no error"
    except (ray.exceptions.RayError) as err:
        errors[name] = type(err).__name__
print("errors", json.dumps(errors, sort_keys=True))
deadline = time.monotonic() + 60
while any(n["NodeID"] == b and n["Alive"] for n in ray.nodes()) and time.monotonic() < deadline:
    time.sleep(0.5)
assert not any(n["NodeID"] == b and n["Alive"] for n in ray.nodes()), "B still alive"
lib_state.dump("end")
sessions = {role: str(Path(n.get_session_dir_path()).relative_to(work))
            for role, n in zip(("head", "a", "b"), nodes)}
(work / "nodes.json").write_text(json.dumps(
    {"ids": {"head": head, "a": a, "b": b}, "sessions": sessions}, indent=1, sort_keys=True)
    + "\n")
time.sleep(2.5)  # the last task events reach the files
ray.shutdown()
cluster.shutdown()
print("done")
