"""ray.cancel of async actor tasks, the way Serve's router cancels a request a full replica
rejected: `Sleeper.nap` (async, 30 s) is cancelled twice while it runs (its coroutine is
cancelled: Ray records the attempt as TASK_EXECUTION_EXCEPTION with the TaskCancelledError of
its own id) and once before it starts (behind the actor's max_concurrency=2: TASK_CANCELLED).
`waiter` gets one cancelled nap's result and does not catch the TaskCancelledError: a real
error (it names the nap's id, not its own). Truth: lib_state phase `end` (before
ray.shutdown)."""

import asyncio
import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(max_concurrency=2)
class Sleeper:
    async def nap(self, s):
        await asyncio.sleep(s)
        return s


@ray.remote
def waiter(refs):
    return ray.get(refs[0])  # raises the nap's TaskCancelledError


ray.init(num_cpus=2)
sleeper = Sleeper.remote()
assert ray.get(sleeper.nap.remote(0)) == 0
naps = [sleeper.nap.remote(30) for _ in range(3)]  # the third waits behind max_concurrency
time.sleep(1.5)
for ref in naps:
    ray.cancel(ref)
for ref in naps:
    try:
        ray.get(ref)
    except ray.exceptions.TaskCancelledError as err:
        print("cancelled", str(err)[:60])
try:
    ray.get(waiter.remote([naps[0]]))
except ray.exceptions.RayTaskError as err:
    print("waiter raised", type(err).__name__)
lib_state.dump("end", "3 naps cancelled, waiter failed, before ray.shutdown()")
ray.shutdown()
