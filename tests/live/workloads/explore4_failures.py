"""Failure causes not seen before: an actor whose constructor raises, then two calls to it
(Ray 2.60: the constructor's attempt TASK_EXECUTION_EXCEPTION, the calls ACTOR_DIED); a task
given the ref of a failed task (TASK_EXECUTION_EXCEPTION, boom's error); a running task
cancelled with force=True (TASK_CANCELLED: its worker killed on purpose); a task whose
runtime_env cannot be set up (a file:// working_dir that does not exist:
RUNTIME_ENV_SETUP_FAILED); a task asking for a resource no node has, cancelled after a wait
(TASK_CANCELLED). Real failures: Broken's constructor, its 2 calls, boom, after_boom, bad_env.
Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(max_restarts=0)
class Broken:
    def __init__(self):
        raise ValueError("Broken.__init__ fails on purpose")

    def ping(self):
        return "never"


@ray.remote(max_retries=0)
def boom():
    raise RuntimeError("boom fails on purpose")


@ray.remote(max_retries=0)
def after_boom(x):
    return x + 1


@ray.remote(max_retries=0)
def sleeper():
    time.sleep(60)


@ray.remote(max_retries=0)
def plain(x):
    return x * 2


def expect_error(ref, label):
    try:
        ray.get(ref, timeout=30)
    except (ray.exceptions.RayError, ray.exceptions.GetTimeoutError) as err:
        print(label, "->", type(err).__name__)
    else:
        raise SystemExit(f"{label} did not fail")


ray.init(num_cpus=2)
broken = Broken.remote()
expect_error(broken.ping.remote(), "broken.ping 1")
expect_error(broken.ping.remote(), "broken.ping 2")
expect_error(after_boom.remote(boom.remote()), "after_boom")
running = sleeper.remote()
time.sleep(2)  # let it start
ray.cancel(running, force=True)
expect_error(running, "sleeper (force-cancelled)")
bad_env = plain.options(runtime_env={"working_dir": (Path.cwd() / "no_such.zip").as_uri()})
expect_error(bad_env.remote(1), "bad_env")
unplaceable = plain.options(resources={"no_such_resource": 1}).remote(2)
ready, _ = ray.wait([unplaceable], timeout=2)
assert not ready
ray.cancel(unplaceable)
expect_error(unplaceable, "unplaceable (cancelled)")
print("plain", ray.get(plain.remote(3)))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
