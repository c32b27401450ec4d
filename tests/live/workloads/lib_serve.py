"""A Serve application of two deployments on 127.0.0.1 (a free port): `Ingress` (HTTP) calls
`Doubler` through a DeploymentHandle; the driver sends 5 HTTP requests with urllib (all
answered), then serve.shutdown() (Serve kills its own controller, proxy and replicas: intended
ends) and ray.shutdown(). Every worker imports lib_loopback first, so that the replicas' gRPC
servers bind to 127.0.0.1. Recorded twice: with RAY_SERVE_ENABLE_TASK_EVENTS=1 and as shipped
(Serve's actors then report no task events). Truth: lib_state phases `serving` (before
serve.shutdown) and `after_shutdown`."""

import json
import os
import socket
import sys
import urllib.request
from pathlib import Path

import ray
from ray import serve

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lib_state  # noqa: E402

# Serve's replicas would bind a gRPC server to every interface: lib_loopback, imported in every
# worker, keeps it on 127.0.0.1 (the workers inherit this environment through the raylet).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
os.environ["RAY_preload_python_modules"] = "lib_loopback"


@serve.deployment
class Doubler:
    def __call__(self, x):
        return 2 * x


@serve.deployment
class Ingress:
    def __init__(self, doubler):
        self.doubler = doubler

    async def __call__(self, request):
        x = int(request.query_params["x"])
        return {"x": x, "doubled": await self.doubler.remote(x)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ray.init(num_cpus=2)
port = free_port()
serve.start(http_options={"host": "127.0.0.1", "port": port})
serve.run(Ingress.bind(Doubler.bind()), name="doubler_app", route_prefix="/")
for x in range(5):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?x={x}", timeout=30) as reply:
        answer = json.loads(reply.read())
    assert answer == {"x": x, "doubled": 2 * x}, answer
print("5 requests answered")
lib_state.dump("serving", "5 requests answered, before serve.shutdown()")
serve.shutdown()
lib_state.dump("after_shutdown", "after serve.shutdown(), before ray.shutdown()")
ray.shutdown()
