"""One job of a multi-job session (tests/live/test_live_explore4_jobs.py): run as the entrypoint
of `ray job submit`, or as a plain driver of a running cluster (RAY_ADDRESS names it).

    explore4_job.py make   creates the detached actor "keeper" (namespace explore4), calls it
    explore4_job.py use    finds "keeper" with ray.get_actor and calls it, runs a task
    explore4_job.py fail   the driver raises after one task (the job FAILED)
    explore4_job.py sleep  runs a task, then sleeps until `ray job stop` stops it
    explore4_job.py kill   kills "keeper" (ray.kill): the end of the detached actor
    explore4_job.py truth  Ray's State API at the end, into state_truth.json (lib_state.py)
"""

import sys
import time

import ray

ray.init(namespace="explore4")
mode = sys.argv[1]


@ray.remote
def square(x):
    return x * x


@ray.remote
class Keeper:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)
        return len(self.items)

    def total(self):
        return sum(self.items)


if mode == "make":
    keeper = Keeper.options(name="keeper", lifetime="detached").remote()
    squares = ray.get([square.remote(i) for i in range(3)])
    assert ray.get([keeper.add.remote(s) for s in squares]) == [1, 2, 3]
elif mode == "use":
    keeper = ray.get_actor("keeper")
    assert ray.get(keeper.add.remote(ray.get(square.remote(4)))) >= 4
    assert ray.get(keeper.total.remote()) >= 0 + 1 + 4 + 16
elif mode == "fail":
    ray.get(square.remote(5))
    raise RuntimeError("explore4: the driver gives up")
elif mode == "sleep":
    ray.get(square.remote(6))
    print("explore4: sleeping", flush=True)
    time.sleep(300)
elif mode == "kill":
    ray.kill(ray.get_actor("keeper"))
elif mode == "truth":
    import lib_state

    lib_state.dump("end")
print("explore4 job", mode, ray.get_runtime_context().get_job_id(), flush=True)
time.sleep(1.5)  # Ray flushes its task events about once a second
