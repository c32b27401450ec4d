"""Actor fault tolerance. `Sturdy` (max_restarts=2, max_task_retries=2): its first `work` call
kills its process (os._exit(1), once: a marker file), so Ray restarts the actor and retries the
call, which then succeeds; 3 `ping` calls made while it restarts succeed too. `Fragile`
(max_restarts=0) dies the same way in `work`; its 2 `ping` calls queued behind it fail
ACTOR_DIED (caused by the crash, not failures of their own). Truth: lib_state phase `end`."""

import os
import sys
import tempfile
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(max_restarts=2, max_task_retries=2)
class Sturdy:
    def __init__(self, marker):
        self.marker = marker

    def work(self, x):
        if not os.path.exists(self.marker):  # the first run only: die mid-call
            Path(self.marker).touch()
            os._exit(1)
        return x * 2

    def ping(self):
        return os.getpid()


@ray.remote(max_restarts=0)
class Fragile:
    def work(self):
        time.sleep(0.5)
        os._exit(1)

    def ping(self):
        return "never"


ray.init(num_cpus=2)
marker = os.path.join(tempfile.mkdtemp(), "sturdy-died")
sturdy = Sturdy.remote(marker)
first_pid = ray.get(sturdy.ping.remote())
done = sturdy.work.remote(21)
during = [sturdy.ping.remote() for _ in range(3)]
print("work (retried)", ray.get(done, timeout=60))
pids = ray.get(during, timeout=60)
assert first_pid not in pids, "the pings ran before the crash"
fragile = Fragile.remote()
dying = fragile.work.remote()
pending = [fragile.ping.remote() for _ in range(2)]
for ref, label in [(dying, "fragile.work"), (pending[0], "ping 1"), (pending[1], "ping 2")]:
    try:
        ray.get(ref, timeout=30)
    except ray.exceptions.RayActorError as err:
        print(label, "->", type(err).__name__)
    else:
        raise SystemExit(f"{label} did not fail")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
