"""A run caught mid-way. `quick` x4 and `Keeper.ping` finish first; then `outer` submits 4
nested `leaf` tasks, the driver 2 `slow` tasks and 3 `Keeper.hold` calls. Every leaf, slow and
hold blocks until a gate file exists, so at the moment of the copy (2 CPUs) 2 tasks run, the
rest of them queue, and the actor runs one call with 2 queued behind it; `outer` runs, blocked
in ray.get. The driver waits for the running ones' start markers (no timing luck), dumps Ray's
State API (lib_state phase `copy`), copies its own session folder (`cp -r` to ./copy and
`tar czf` to ./copy.tar.gz, from the working directory), then by EXPLORE8_MODE:

- `finish` (default): opens the gate, lets everything finish, dumps phase `end`, shuts down;
- `hang`: writes ./ready and waits for the gate forever (the test kills it and its cluster);
- `leave`: writes ./ready and exits without waiting, its tasks still running and queued
  (Ray ends them at the job's end).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

HERE = Path.cwd()
GATE = HERE / "gate"
MARKS = HERE / "marks"


def wait_gate():
    while not GATE.exists():
        time.sleep(0.1)


def mark(name):
    (MARKS / f"{name}_{os.getpid()}_{time.monotonic_ns()}").touch()


@ray.remote
def quick(i):
    return i * 2


@ray.remote
def leaf(i):
    mark("leaf")
    wait_gate()
    time.sleep(0.2)
    return i


@ray.remote
def outer(n):
    mark("outer")
    return sum(ray.get([leaf.remote(i) for i in range(n)]))


@ray.remote
def slow(i):
    mark("slow")
    wait_gate()
    return -i


@ray.remote
class Keeper:
    def ping(self):
        return "pong"

    def hold(self, i):
        mark("hold")
        wait_gate()
        return i


def started(name):
    return len(list(MARKS.glob(f"{name}_*")))


MARKS.mkdir(exist_ok=True)
mode = os.environ.get("EXPLORE8_MODE", "finish")
ray.init(**({} if os.environ.get("RAY_ADDRESS") else {"num_cpus": 2}))  # a `ray start` cluster: 2 CPUs
print("quick", ray.get([quick.remote(i) for i in range(4)]))
keeper = Keeper.remote()
print("ping", ray.get(keeper.ping.remote()))
top = outer.remote(4)
deadline = time.monotonic() + 120
while started("outer") < 1 or started("leaf") < 1:  # outer's leaves take the CPU first
    assert time.monotonic() < deadline, "outer and its leaves did not start"
    time.sleep(0.1)
slows = [slow.remote(i) for i in range(2)]
holds = [keeper.hold.remote(i) for i in range(3)]
while started("leaf") + started("slow") < 2 or started("hold") < 1:
    assert time.monotonic() < deadline, "the blocked tasks did not start"
    time.sleep(0.1)
lib_state.dump("copy", "2 tasks and a Keeper.hold running, the rest queued; outer in ray.get")
session = Path(ray._private.worker._global_node.get_session_dir_path())
# a live folder: its sockets cannot be copied, and tar says files changed as it read them
copied = subprocess.run(["cp", "-r", str(session), str(HERE / "copy")], capture_output=True)
tarred = subprocess.run(["tar", "czf", str(HERE / "copy.tar.gz"), "-C", str(session.parent),
                         session.name], capture_output=True)
print("copied", session.name, copied.returncode, tarred.returncode, flush=True)
if mode == "finish":
    GATE.touch()
    print("done", ray.get(top), ray.get(slows), ray.get(holds))
    lib_state.dump("end", "all work done, before ray.shutdown()")
    ray.shutdown()
elif mode == "hang":
    (HERE / "ready").touch()
    wait_gate()
else:
    (HERE / "ready").touch()
    print("leaving without waiting", flush=True)
