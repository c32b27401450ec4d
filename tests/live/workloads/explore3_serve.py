"""Serve through its HTTP proxy on 127.0.0.1: app "batcher" (`Ingress`, num_replicas=2, awaits
`Summer`'s @serve.batch method and streams its answer back: StreamingResponse) and app "echo".
6 HTTP requests to /batch (from 3 threads, so batches form), 2 to /echo, all answered; then
serve.delete("echo") and serve.shutdown(): replicas, proxy and controller stopped on purpose,
not failures. Truth: lib_state phases `serving` (after the requests) and `end` (after
serve.delete, before serve.shutdown)."""

import os
import socket
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
# as in lib_serve.py: every worker imports lib_loopback, which keeps gRPC on 127.0.0.1
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
os.environ["RAY_preload_python_modules"] = "lib_loopback"
os.environ["RAY_SERVE_ENABLE_TASK_EVENTS"] = "1"  # before ray.serve is imported (read at import)

import ray  # noqa: E402
from ray import serve  # noqa: E402
from starlette.responses import StreamingResponse  # noqa: E402

sys.path.insert(0, str(HERE))
import lib_state  # noqa: E402


@serve.deployment
class Summer:
    @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.2)
    async def add_ten(self, xs):
        return [x + 10 for x in xs]


@serve.deployment(num_replicas=2)
class Ingress:
    def __init__(self, summer):
        self.summer = summer

    async def __call__(self, request):
        total = await self.summer.add_ten.remote(int(request.query_params["x"]))

        async def digits():
            for ch in str(total):
                yield ch
        return StreamingResponse(digits(), media_type="text/plain")


@serve.deployment
class Echo:
    def __call__(self, request):
        return "echo:" + request.query_params["s"]


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
ray.init(num_cpus=4)  # logical: four replicas of one CPU each, on 2 cores
serve.start(http_options={"host": "127.0.0.1", "port": port})
serve.run(Ingress.bind(Summer.bind()), name="batcher", route_prefix="/batch")
serve.run(Echo.bind(), name="echo", route_prefix="/echo")


def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
        return resp.read().decode()


with ThreadPoolExecutor(3) as pool:
    sums = list(pool.map(lambda x: get(f"/batch?x={x}"), range(6)))
echoes = [get(f"/echo?s={s}") for s in ("a", "b")]
print("answers", sums, echoes)
assert sums == [str(x + 10) for x in range(6)] and echoes == ["echo:a", "echo:b"], (sums, echoes)
lib_state.dump("serving", "8 HTTP requests answered")
serve.delete("echo")
lib_state.dump("end", "serve.delete('echo') done, before serve.shutdown()")
serve.shutdown()
ray.shutdown()
