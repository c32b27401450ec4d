"""An actor created with its task events off (`enable_task_events=False`, as Serve creates its
actors unless RAY_SERVE_ENABLE_TASK_EVENTS is set) called from the driver, beside one with
them on. Ray records no task of the silent one (State API: only its actor row); the recorder
still sees the driver submit its creation and its calls. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
class Quiet:
    def ping(self, x):
        return x


@ray.remote
class Loud:
    def ping(self, x):
        return x


ray.init(num_cpus=2)
quiet = Quiet.options(enable_task_events=False).remote()
loud = Loud.remote()
print("quiet", ray.get([quiet.ping.remote(i) for i in range(3)]))
print("loud", ray.get([loud.ping.remote(i) for i in range(2)]))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
