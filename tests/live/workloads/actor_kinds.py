"""Every way Ray moves data that the recorder must see: sync, async and threaded actors, nested
tasks, ray.put / ray.get / ray.wait, `await`, keyword and large by-value arguments, several return
values, a fire-and-forget call, a failure and a driver thread. Enables the recorder through the
public API (flowinsight.recorder.init) rather than the environment."""

import threading
import time

import numpy as np
import ray

import flowinsight.recorder


@ray.remote
def leaf(x):
    return x * 2


@ray.remote
def fan_out(n):
    refs = [leaf.remote(i) for i in range(n)]
    ready, _ = ray.wait(refs, num_returns=n)
    return sum(ray.get(ready))


@ray.remote(num_returns=2)
def split(blob):
    return blob[: len(blob) // 2], blob[len(blob) // 2 :]


@ray.remote
def length(*, data):
    return len(data)


@ray.remote
def fail():
    raise ValueError("failed on purpose")


@ray.remote
def ignore(x):
    return None


@ray.remote
class SyncActor:
    def echo(self, blob):
        return blob


@ray.remote(max_concurrency=4)
class ThreadedActor:
    def fetch(self, refs):
        return sum(len(x) for x in ray.get(refs))


@ray.remote
class AsyncActor:
    async def wait_for(self, refs):
        total = 0
        for ref in refs:  # asyncio.gather would await equal refs only once
            total += len(await ref)
        return total

    async def call_sync(self, handle, blob):
        return len(await handle.echo.remote(blob))


flowinsight.recorder.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
shared = ray.put(np.zeros(200_000, dtype=np.uint8))
assert ray.get(fan_out.remote(4)) == 12
halves = split.remote(b"x" * 50_000)
assert [len(h) for h in ray.get(halves)] == [25_000, 25_000]
assert ray.get(length.remote(data=b"y" * 30_000)) == 30_000
sync, threaded, aio = SyncActor.remote(), ThreadedActor.remote(), AsyncActor.remote()
assert ray.get(sync.echo.remote(b"z" * 40_000)) == b"z" * 40_000
assert ray.get(threaded.fetch.remote([shared, shared])) == 400_000
assert ray.get(aio.wait_for.remote([shared, shared, shared])) == 600_000
assert ray.get(aio.call_sync.remote(sync, b"w" * 20_000)) == 20_000
assert ray.get(sync.echo.remote(np.ones(300_000, dtype=np.uint8))).sum() == 300_000
try:
    ray.get(fail.remote())
except ray.exceptions.RayTaskError:
    pass
ignore.options(num_returns=0).remote(1)
from_thread = []
thread = threading.Thread(target=lambda: from_thread.append(ray.get(leaf.remote(21))))
thread.start()
thread.join()
assert from_thread == [42]
print("stats", flowinsight.recorder.stats())
time.sleep(1)
ray.shutdown()
