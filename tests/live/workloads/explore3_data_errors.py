"""Ray Data errors, tolerated and not: (1) range(40) in 4 blocks -> map_batches(flaky)
(max_retries=2, retry_exceptions=True): the block of row 20 raises on its first attempt only
(a marker file), its retry finishes, the dataset completes; (2) with DataContext
max_errored_blocks=1, range(40) in 4 blocks -> map_batches(bad_block) (max_retries=1,
retry_exceptions=True): the block of row 10 raises on both attempts, Ray Data drops it and the
dataset completes with 30 rows; (3) range(20) in 2 blocks -> map_batches(always_bad) (no
retry): every block raises, the dataset fails, the driver catches the error. Truth: lib_state
phase `end`."""

import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

MARKER = Path.cwd() / "flaky_failed_once"


def flaky(batch):
    if 20 in batch["id"] and not MARKER.exists():
        MARKER.write_text("1")
        raise ValueError("flaky: first attempt of the block of row 20")
    return batch


def bad_block(batch):
    if 10 in batch["id"]:
        raise RuntimeError("bad_block: the block of row 10 always fails")
    return batch


def always_bad(batch):
    raise KeyError("always_bad")


ray.init(num_cpus=2)
ctx = ray.data.DataContext.get_current()
ctx.enable_progress_bars = False
retry = {"max_retries": 2, "retry_exceptions": True}
rows = ray.data.range(40, override_num_blocks=4).map_batches(flaky, **retry).take_all()
print("flaky", len(rows))
assert len(rows) == 40

ctx.max_errored_blocks = 1
once = {"max_retries": 1, "retry_exceptions": True}
rows = ray.data.range(40, override_num_blocks=4).map_batches(bad_block, **once).take_all()
print("tolerated", len(rows))
assert len(rows) == 30
ctx.max_errored_blocks = 0

try:
    ray.data.range(20, override_num_blocks=2).map_batches(always_bad, max_retries=0).take_all()
except Exception as err:  # noqa: BLE001 - Ray Data wraps the UDF's error
    print("failed as meant:", type(err).__name__)
else:
    raise AssertionError("always_bad did not fail")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
