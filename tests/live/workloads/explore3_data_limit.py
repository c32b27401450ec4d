"""Ray Data's limit: range(6) in 6 blocks -> map_batches(slow: every block but the one of row 0
sleeps 4 s) -> limit(1) -> take_all. Once the limit is reached, Ray Data cancels what it no longer
needs (TASK_CANCELLED: an intended end) and leaves a task still sleeping to the end of the job:
Ray records no final state for it, and the job's end explains that. Which blocks run first varies
from run to run. Truth: lib_state phase `end`."""

import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def slow(batch):
    if batch["id"][0] > 0:
        time.sleep(4)
    return batch


ray.init(num_cpus=2)
ray.data.DataContext.get_current().enable_progress_bars = False
t = time.time()
out = ray.data.range(6, override_num_blocks=6).map_batches(slow, batch_size=None).limit(1).take_all()
print("limited", out, time.time() - t)
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
