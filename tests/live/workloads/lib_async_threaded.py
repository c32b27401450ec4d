"""Async and threaded actors calling tasks: `AsyncWorker` (async def methods) and
`ThreadedWorker` (max_concurrency=3, plain methods). main -> AsyncWorker.work x4 (each awaits a
`square` task), main -> ThreadedWorker.work x4 (each ray.get()s a `square` task), main ->
AsyncWorker.relay x2 (each awaits ThreadedWorker.work, which calls `square`). So `square` runs
10 times, ThreadedWorker.work 6 times (4 from main, 2 from relay). No failures; both actors
alive at the end of the job. Truth: lib_state phase `end`."""

import asyncio
import sys
import threading
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
def square(x):
    return x * x


@ray.remote(max_concurrency=3)
class ThreadedWorker:
    def work(self, x):
        return threading.current_thread().name, ray.get(square.remote(x))


@ray.remote
class AsyncWorker:
    def __init__(self, threaded):
        self.threaded = threaded

    async def work(self, x):
        await asyncio.sleep(0.05)
        return await square.remote(x)

    async def relay(self, x):
        _, value = await self.threaded.work.remote(x)
        return value


ray.init(num_cpus=2)
threaded = ThreadedWorker.remote()
async_worker = AsyncWorker.remote(threaded)
print("async", ray.get([async_worker.work.remote(x) for x in range(4)]))
print("threaded", ray.get([threaded.work.remote(x) for x in range(4)]))
print("relay", ray.get([async_worker.relay.remote(x) for x in range(2)]))
lib_state.dump("end", "all calls answered, both actors alive, before ray.shutdown()")
ray.shutdown()
