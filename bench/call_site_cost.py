"""What recording a call site costs one submission: flowinsight.recorder.call_sites.CallSites.here()
at the bottom of 8 frames of Ray's package made afresh for every call, under 3 user frames (a
.remote() call's usual shape), against the same calls without it. Best of 3 rounds of
100,000, three times.

    .venv/bin/python bench/call_site_cost.py
"""

import os
import time

import ray

from flowinsight.recorder.call_sites import CallSites

sites = CallSites()
namespace = {"sites": sites}
code = "".join(f"def ray_frame_{i}(on):\n    return ray_frame_{i + 1}(on)\n" for i in range(7))
code += "def ray_frame_7(on):\n    return sites.here(0) if on else None\n"
exec(compile(code, os.path.join(os.path.dirname(ray.__file__), "fake_submit.py"), "exec"),
     namespace)
submit = namespace["ray_frame_0"]
N = 100_000


def user_c(on: bool) -> float:
    started = time.perf_counter()
    for _ in range(N):
        submit(on)
    return time.perf_counter() - started


def user_b(on: bool) -> float:
    return user_c(on)


def user_a(on: bool) -> float:
    return user_b(on)


for _ in range(3):
    without = min(user_a(False) for _ in range(3))
    with_sites = min(user_a(True) for _ in range(3))
    print(f"{(with_sites - without) / N * 1e6:.2f} us per submission "
          f"({len(sites._stacks)} stack interned)")
