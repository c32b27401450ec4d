"""Task retries: `flaky` raises ValueError on its first 2 attempts and succeeds on the 3rd
(max_retries=3, retry_exceptions=True); `crashy` kills its worker (os._exit) on its first
attempt and succeeds on the 2nd (max_retries=2: a worker crash is a system failure, retried
without retry_exceptions); `doomed` raises RuntimeError on both of its attempts
(max_retries=1, retry_exceptions=True) and fails for good; the driver catches its error.
`steady` x2 never fails. Attempts are counted in marker files in the working directory.
Truth: lib_state phase `end`."""

import os
import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def attempt(marker):
    """How many times this has been called before, across workers (a file of one byte each)."""
    with open(marker, "ab") as f:
        f.write(b"x")
    return os.path.getsize(marker) - 1


@ray.remote(max_retries=3, retry_exceptions=True)
def flaky(marker):
    n = attempt(marker)
    if n < 2:
        raise ValueError(f"flaky: attempt {n} fails on purpose")
    return n


@ray.remote(max_retries=2)
def crashy(marker):
    n = attempt(marker)
    if n < 1:
        os._exit(1)
    return n


@ray.remote(max_retries=1, retry_exceptions=True)
def doomed():
    raise RuntimeError("doomed: fails on every attempt")


@ray.remote
def steady(x):
    return x + 1


ray.init(num_cpus=2)
here = Path.cwd()
print("steady", ray.get([steady.remote(1), steady.remote(2)]))
print("flaky succeeded on attempt", ray.get(flaky.remote(str(here / "flaky.marker"))))
print("crashy succeeded on attempt", ray.get(crashy.remote(str(here / "crashy.marker"))))
try:
    ray.get(doomed.remote())
except ray.exceptions.RayTaskError as err:
    print("doomed failed for good:", type(err).__name__)
else:
    raise SystemExit("doomed did not fail")
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
