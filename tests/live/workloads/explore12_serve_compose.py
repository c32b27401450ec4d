"""Serve: one app of 3 deployments composed with DeploymentHandles. `Front` (the ingress,
HTTP on 127.0.0.1) calls `Adder.add` (a @serve.batch method) and `Counter.count` (a generator
deployment, called with handle.options(stream=True)); `Counter` raises on the request x == 13.
30 HTTP requests to the proxy (from 3 threads, so batches form; x = 0..29), 10 through the
app's handle (x = 100..109), all answered but x = 13 (HTTP 500: the replica's ValueError).
Then serve.delete of the app and serve.shutdown(): replicas, proxy and controller stopped on
purpose, not failures. Truth: lib_state phases `serving` (after the requests) and `end` (after
serve.delete, before serve.shutdown)."""

import os
import socket
import sys
import urllib.error
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

sys.path.insert(0, str(HERE))
import lib_state  # noqa: E402

BAD = 13


@serve.deployment
class Adder:
    @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.1)
    async def add(self, xs):
        return [x + 1000 for x in xs]


@serve.deployment
class Counter:
    def count(self, n):
        if n == BAD:
            raise ValueError(f"Counter refuses {n}")
        for i in range(n % 4 + 1):
            yield i


@serve.deployment
class Front:
    def __init__(self, adder, counter):
        self.adder = adder
        self.counter = counter.options(stream=True)

    async def answer(self, x):
        total = await self.adder.add.remote(x)
        items = [i async for i in self.counter.count.remote(x)]
        return f"{total}:{sum(items)}"

    async def __call__(self, request):
        return await self.answer(int(request.query_params["x"]))


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
ray.init(num_cpus=4)  # logical: three replicas of one CPU each, on 2 cores
serve.start(http_options={"host": "127.0.0.1", "port": port})
handle = serve.run(Front.bind(Adder.bind(), Counter.bind()), name="compose", route_prefix="/c")


def expected(x):
    return f"{x + 1000}:{sum(range(x % 4 + 1))}"


def get(x):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/c?x={x}", timeout=30) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"


with ThreadPoolExecutor(3) as pool:
    answers = list(pool.map(get, range(30)))
assert answers == [expected(x) if x != BAD else "HTTP 500" for x in range(30)], answers
direct = [handle.answer.remote(x).result() for x in range(100, 110)]
assert direct == [expected(x) for x in range(100, 110)], direct
print("answers", answers, direct)
lib_state.dump("serving", "30 HTTP requests and 10 handle calls answered")
serve.delete("compose")
lib_state.dump("end", "serve.delete('compose') done, before serve.shutdown()")
serve.shutdown()
ray.shutdown()
