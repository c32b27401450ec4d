"""Task retries. `fresh` (max_calls=1: a new worker per call) runs 3 times; `killed`
(max_retries=2) SIGKILLs its own worker on the first attempt only (a marker file), Ray retries it
and the second attempt succeeds (a crash, once); `picky` (max_retries=2,
retry_exceptions=[ValueError]) raises KeyError, which is not retried: one real error, one
attempt; `flaky` (same options) raises ValueError on the first attempt, retried, then succeeds.
Truth: lib_state phase `end`."""

import os
import signal
import sys
import tempfile
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote(max_calls=1)
def fresh(x):
    return os.getpid(), x


@ray.remote(max_retries=2)
def killed(marker):
    if not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


@ray.remote(max_retries=2, retry_exceptions=[ValueError])
def picky():
    raise KeyError("picky: a KeyError is not retried")


@ray.remote(max_retries=2, retry_exceptions=[ValueError])
def flaky(marker):
    if not os.path.exists(marker):
        Path(marker).touch()
        raise ValueError("flaky: the first attempt fails, retried")
    return "ok"


ray.init(num_cpus=2)
tmp = tempfile.mkdtemp()
pids = [pid for pid, _ in ray.get([fresh.remote(i) for i in range(3)])]
print("fresh pids", pids)
print("killed", ray.get(killed.remote(os.path.join(tmp, "killed")), timeout=60))
try:
    ray.get(picky.remote(), timeout=30)
except KeyError as err:
    print("picky ->", type(err).__name__)
else:
    raise SystemExit("picky did not fail")
print("flaky", ray.get(flaky.remote(os.path.join(tmp, "flaky")), timeout=60))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
