"""Cancels: recursive of a running `tree` on 3 `branch`es (2 run, each with a queued `leaf`);
force of a running `stubborn`; a `supervisor` cancels its `napper`, handles it. `after`s get a
cancelled return (stubborn's, tree's, that after's) or `waiter`'s (a real error). Truth: `end`."""

import sys
import tempfile
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def wait_for(marks, names, count=1):  # each cancel waits for its tasks to run (their files)
    end = time.monotonic() + 60
    while sum(Path(marks, n).exists() for n in names) < count and time.monotonic() < end:
        time.sleep(0.05)


def nap(marks, name):  # short sleeps: a cancel's KeyboardInterrupt lands between two
    Path(marks, name).touch()
    for _ in range(600):
        time.sleep(0.1)


sleeper = ray.remote(max_retries=0)(nap)  # named as each call asks


@ray.remote(max_retries=0)
def leaf(i):
    return i


@ray.remote(max_retries=0)
def branch(marks, i):
    below = leaf.remote(i)
    nap(marks, f"branch{i}")
    return ray.get(below)


@ray.remote(max_retries=0)
def tree(marks):
    return sum(ray.get([branch.remote(marks, i) for i in range(3)]))


@ray.remote(max_retries=0)
def supervisor(marks):
    ref = sleeper.options(name="napper").remote(marks, "napper")
    wait_for(marks, ["napper"])
    ray.cancel(ref)
    try:
        return f"not cancelled: {ray.get(ref)}"
    except ray.exceptions.TaskCancelledError:
        return "handled"


@ray.remote(max_retries=0)
def after(x):
    return x


@ray.remote(max_retries=0)
def waiter(refs):
    return ray.get(refs[0])  # raises stubborn's TaskCancelledError


def outcome(ref):
    try:
        return ray.get(ref, timeout=30)
    except ray.exceptions.RayError as err:
        return type(err).__name__


ray.init(num_cpus=2)
marks = tempfile.mkdtemp()
running = sleeper.options(name="stubborn").remote(marks, "stubborn")  # first: no later task
wait_for(marks, ["stubborn"])  # runs in the worker its force-cancel kills
lost = after.remote(running)
ray.cancel(running, force=True)
print("stubborn", outcome(running), outcome(lost), outcome(after.remote(waiter.remote([running]))))
root = tree.remote(marks)
wait_for(marks, ["branch0", "branch1", "branch2"], 2)  # tree waits in ray.get: 2 of them run
chain = after.remote(after.remote(root))
ray.cancel(root, recursive=True)
print("tree", outcome(root), outcome(chain), ray.get(supervisor.remote(marks), timeout=60))
lib_state.dump("end", "cancels and their dependents, before ray.shutdown()")
ray.shutdown()
