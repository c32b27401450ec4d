"""A restarting actor: `Phoenix` (max_restarts=1) answers `ping` twice, then `crash` kills its
worker process (os._exit(1)), so that call fails (ActorDiedError / ActorUnavailableError: its
max_task_retries is 0) and Ray restarts the actor (num_restarts 1); `ping` twice more succeeds
on the restarted actor (the driver waits for the restart first). A second actor, `Bystander`, answers `ping` once and is then ended on
purpose with ray.kill (an intended end, not a failure). Phoenix is alive at the end of the
job. Truth: lib_state phase `end`."""

import os
import sys
import time
from pathlib import Path

import ray
from ray.util import state

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(max_restarts=1)
class Phoenix:
    def __init__(self):
        self.calls = 0

    def ping(self):
        self.calls += 1
        return os.getpid(), self.calls

    def crash(self):
        os._exit(1)


@ray.remote
class Bystander:
    def ping(self):
        return "here"


ray.init(num_cpus=2)
phoenix = Phoenix.remote()
bystander = Bystander.remote()
before = [ray.get(phoenix.ping.remote()) for _ in range(2)]
print("bystander", ray.get(bystander.ping.remote()))
try:
    ray.get(phoenix.crash.remote())
except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as err:
    print("crash call failed:", type(err).__name__)
else:
    raise SystemExit("crash did not fail")
deadline = time.monotonic() + 60
while True:  # wait for the restart, so that no ping meets the actor while it is down
    info = state.get_actor(phoenix._actor_id.hex(),
                           address=ray.get_runtime_context().gcs_address)
    if info is not None and info.state == "ALIVE" and info.num_restarts == 1:
        break
    assert time.monotonic() < deadline, f"Phoenix did not come back: {info}"
    time.sleep(0.5)
after = [ray.get(phoenix.ping.remote()) for _ in range(2)]
print("before", before, "after", after)
assert before[0][0] != after[0][0], "the actor was not restarted in a new process"
ray.kill(bystander)
lib_state.dump("end", "all work done, Bystander killed, Phoenix alive, before ray.shutdown()")
ray.shutdown()
