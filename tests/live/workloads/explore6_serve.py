"""Serve autoscaling and a redeploy, through DeploymentHandles (no HTTP). App "auto":
`Slow` with autoscaling_config (min 1, max 2 replicas, target_ongoing_requests=1, upscale 0.5 s
and downscale 2 s delays, metrics every 0.25 s), driven by a burst of 12 concurrent 0.4 s
requests: the controller starts a second replica, and once idle stops it again (an intended
end). App "conf": `Greeter` with a user_config, run, asked 2 times, run again with a new
user_config and then also new ray_actor_options, asked 2 times each: on Ray 2.60 each redeploy
started a new replica and stopped the old one on purpose (3 replicas in all).
Truth: lib_state phases `scaled` (2 replicas of Slow), `idle` (1) and `end`."""

import asyncio
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent  # as in lib_serve.py: gRPC kept on 127.0.0.1
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
os.environ["RAY_preload_python_modules"] = "lib_loopback"
os.environ["RAY_SERVE_ENABLE_TASK_EVENTS"] = "1"  # before ray.serve is imported (read at import)

import ray  # noqa: E402
from ray import serve  # noqa: E402
from ray.util.state import list_actors  # noqa: E402

sys.path.insert(0, str(HERE))
import lib_state  # noqa: E402


@serve.deployment(max_ongoing_requests=2, autoscaling_config={
    "min_replicas": 1, "max_replicas": 2, "target_ongoing_requests": 1,
    "upscale_delay_s": 0.5, "downscale_delay_s": 2, "metrics_interval_s": 0.25,
    "look_back_period_s": 1})
class Slow:
    async def __call__(self, x):
        await asyncio.sleep(0.4)
        return x * 2


@serve.deployment(user_config={"greeting": "hello"})
class Greeter:
    def reconfigure(self, config):
        self.greeting = config["greeting"]

    def __call__(self, name):
        return f"{self.greeting} {name}"


def replicas(name):
    alive = list_actors(address=ray.get_runtime_context().gcs_address,  # this job's cluster
                        filters=[("state", "=", "ALIVE")])
    return sum(1 for a in alive if a.class_name == f"ServeReplica:{name}")


def wait_for(name, n, limit=40):
    deadline = time.monotonic() + limit
    while replicas(name) != n and time.monotonic() < deadline:
        time.sleep(0.5)
    assert replicas(name) == n, (name, n, replicas(name))


ray.init(num_cpus=4)  # logical: the replicas take one CPU each, on 2 cores
serve.start(http_options={"location": "NoServer"})
slow = serve.run(Slow.bind(), name="auto", route_prefix=None)
assert slow.remote(1).result() == 2
answers = []
for _ in range(4):  # bursts of 12 until the second replica is up
    answers += [r.result() for r in [slow.remote(i) for i in range(12)]]
    if replicas("auto:Slow") == 2:
        break
assert answers[:12] == [2 * i for i in range(12)], answers
wait_for("auto:Slow", 2)
lib_state.dump("scaled", "Slow scaled up to 2 replicas")
wait_for("auto:Slow", 1)
lib_state.dump("idle", "Slow idle, scaled down to 1 replica")

said = []
for names, options in [("ab", {}), ("cd", {"user_config": {"greeting": "hi"}}),
                       ("ef", {"user_config": {"greeting": "hey"},
                               "ray_actor_options": {"num_cpus": 0.5}})]:
    greeter = serve.run(Greeter.options(**options).bind(), name="conf", route_prefix=None)
    said += [greeter.remote(n).result() for n in names]
print("said", said, "bursts", len(answers) // 12)
assert said == ["hello a", "hello b", "hi c", "hi d", "hey e", "hey f"], said
wait_for("conf:Greeter", 1)
lib_state.dump("end", "Greeter redeployed twice, before serve.shutdown()")
serve.shutdown()
ray.shutdown()
