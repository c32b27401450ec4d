"""Serve model composition without HTTP: `Ingress` calls `Adder` then `Multiplier` through
DeploymentHandles (handle.remote() chained: the Adder's response is passed into the
Multiplier's call); the driver sends 6 requests through serve.run's handle; request x=3 makes
Multiplier raise (a true failure inside the inner deployment, caught by the driver), then
serve.shutdown() and ray.shutdown(). RAY_SERVE_ENABLE_TASK_EVENTS=1 so that Serve's actors
report task events. Truth: lib_state phase `end` (before serve.shutdown)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# as in lib_serve.py: every worker imports lib_loopback, which keeps gRPC on 127.0.0.1
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
os.environ["RAY_preload_python_modules"] = "lib_loopback"
# before ray.serve is imported: Serve reads it once, at import (serve/_private/constants.py),
# and the driver is what starts the controller and the proxy
os.environ["RAY_SERVE_ENABLE_TASK_EVENTS"] = "1"

import ray  # noqa: E402
from ray import serve  # noqa: E402

sys.path.insert(0, str(HERE))
import lib_state  # noqa: E402


@serve.deployment
class Adder:
    def __call__(self, x):
        return x + 1


@serve.deployment
class Multiplier:
    def __call__(self, x):
        if x == 4:
            raise ValueError("Multiplier: 4 fails on purpose")
        return x * 3


@serve.deployment
class Ingress:
    def __init__(self, adder, multiplier):
        self.adder, self.multiplier = adder, multiplier

    async def __call__(self, x):
        return await self.multiplier.remote(self.adder.remote(x))


ray.init(num_cpus=4)  # logical: three replicas of one CPU each, on 2 cores
serve.start(http_options={"host": "127.0.0.1", "port": 0})
handle = serve.run(Ingress.bind(Adder.bind(), Multiplier.bind()), name="compose",
                   route_prefix=None)
answers = {}
for x in range(6):
    try:
        answers[x] = handle.remote(x).result(timeout_s=30)
    except Exception as err:  # noqa: BLE001 - the one meant failure, whatever Serve wraps it in
        answers[x] = type(err).__name__
print("answers", answers)
assert answers[3] != 12 and all(answers[x] == (x + 1) * 3 for x in (0, 1, 2, 4, 5)), answers
lib_state.dump("end", "6 requests done, before serve.shutdown()")
serve.shutdown()
ray.shutdown()
