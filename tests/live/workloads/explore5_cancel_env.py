"""Tasks with their own runtime_env env_vars (new workers), ray.cancel of a queued task and of
a running one (intended ends, not failures; Ray 2.60 lists the running one FINISHED, while its
ray.get raises TaskCancelledError), ray.wait(timeout=) that returns before a slow task ends.
Truth: lib_state phase `end`."""

import os
import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(runtime_env={"env_vars": {"FI_FLAVOUR": "mint"}})
def flavour():
    return os.environ["FI_FLAVOUR"]


@ray.remote
def sleepy(s):
    time.sleep(s)
    return s


ray.init(num_cpus=2)
print("env", ray.get([flavour.remote(),
                      flavour.options(runtime_env={"env_vars": {"FI_FLAVOUR": "lime"}}).remote()]))
slow = sleepy.remote(3)
ready, pending = ray.wait([slow, sleepy.remote(0.1)], num_returns=2, timeout=1.0)
print("wait", len(ready), len(pending), ray.get(slow))
blockers = [sleepy.options(name="blocker").remote(4) for _ in range(2)]
time.sleep(1.5)  # the blockers hold both CPUs (warm workers): the next one is queued
queued = sleepy.options(name="queued").remote(1)
running = blockers[0]
ray.cancel(queued)
ray.cancel(running)
for ref in (queued, running):
    try:
        ray.get(ref)
    except ray.exceptions.TaskCancelledError:
        print("cancelled")
print("rest", ray.get(blockers[1]))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
