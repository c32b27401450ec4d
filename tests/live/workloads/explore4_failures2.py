"""More failure causes: an actor whose runtime_env cannot be set up (a file:// working_dir that
does not exist) and a call to it; an actor asking for a resource no node has, a call left
pending on it, then ray.kill (an intended end); a task whose worker exits (os._exit,
max_retries=0: WORKER_DIED, a crash). Real failures: Lost's creation and its call, dies.
Truth: lib_state phase `end`."""

import os
import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
class Lost:
    def ping(self):
        return "never"


@ray.remote(max_retries=0)
def dies():
    os._exit(1)


def expect_error(ref, label):
    try:
        ray.get(ref, timeout=30)
    except (ray.exceptions.RayError, ray.exceptions.GetTimeoutError) as err:
        print(label, "->", type(err).__name__)
    else:
        raise SystemExit(f"{label} did not fail")


ray.init(num_cpus=2)
lost = Lost.options(runtime_env={"working_dir": (Path.cwd() / "no_such.zip").as_uri()}).remote()
expect_error(lost.ping.remote(), "lost.ping")
waiting = Lost.options(resources={"no_such_resource": 1}).remote()
pending = waiting.ping.remote()
ready, _ = ray.wait([pending], timeout=2)
assert not ready
ray.kill(waiting)
expect_error(pending, "waiting.ping (killed)")
expect_error(dies.remote(), "dies")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
