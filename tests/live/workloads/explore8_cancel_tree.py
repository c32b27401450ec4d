"""Cancellation trees: `ray.cancel(ref, recursive=True)` on a running `tree` task blocked on its
3 `branch` children (2 running, each with a queued `leaf`, and 1 queued on 2 CPUs);
`ray.cancel(ref, force=True)` on a running `stubborn` task (its worker killed on purpose); a
`supervisor` that cancels its running `napper` child and handles its TaskCancelledError. Each
cancel waits until its tasks run (a file each in `marks`). No failures. Truth: lib_state `end`."""

import sys
import tempfile
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def wait_for(marks, names, count=1):
    deadline = time.monotonic() + 60
    while sum(Path(marks, n).exists() for n in names) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def nap(marks, name):
    """Say this task runs, then sleep in short naps (a cancel's KeyboardInterrupt lands
    between two: one time.sleep(60) would hold it for the minute)."""
    Path(marks, name).touch()
    for _ in range(600):
        time.sleep(0.1)


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
def stubborn(marks):
    nap(marks, "stubborn")


@ray.remote(max_retries=0)
def napper(marks):
    nap(marks, "napper")


@ray.remote(max_retries=0)
def supervisor(marks):
    ref = napper.remote(marks)
    wait_for(marks, ["napper"])
    ray.cancel(ref)
    try:
        return f"not cancelled: {ray.get(ref)}"
    except ray.exceptions.TaskCancelledError:
        return "handled"


def cancelled(ref, label):
    try:
        raise SystemExit(f"{label} was not cancelled: {ray.get(ref, timeout=30)}")
    except ray.exceptions.TaskCancelledError as err:
        print(label, "->", type(err).__name__)


ray.init(num_cpus=2)
marks = tempfile.mkdtemp()
running = stubborn.remote(marks)  # first: no later task runs on the worker the cancel kills
wait_for(marks, ["stubborn"])
ray.cancel(running, force=True)
cancelled(running, "stubborn (force)")
root = tree.remote(marks)
wait_for(marks, ["branch0", "branch1", "branch2"], 2)  # tree waits in ray.get: 2 of them run
ray.cancel(root, recursive=True)
cancelled(root, "tree (recursive)")
print("supervisor", ray.get(supervisor.remote(marks), timeout=60))
lib_state.dump("end", "a tree cancelled, a force-cancel, a handled cancel, before ray.shutdown()")
ray.shutdown()
