"""What recording a call site costs a submission: flowinsight.recorder.call_sites.CallSites.here()
under 3 user frames and 8 frames of Ray's package (a .remote() call's usual depth), best of 5
rounds of 100,000.

    .venv/bin/python bench/call_site_cost.py
"""

import os
import time

import ray

from flowinsight.recorder.call_sites import CallSites

sites = CallSites()
ray_dir = os.path.dirname(ray.__file__)
ns = {"sites": sites, "time": time}
src = "def ray_frame_{i}(n):\n    return ray_frame_{j}(n)\n"
code = "".join(src.format(i=i, j=i + 1) for i in range(7))
code += ("def ray_frame_7(n):\n    t = time.perf_counter()\n    for _ in range(n):\n"
         "        sites.here(0)\n    return time.perf_counter() - t\n")
exec(compile(code, os.path.join(ray_dir, "fake_submit.py"), "exec"), ns)

def user_c(n): return ns["ray_frame_0"](n)
def user_b(n): return user_c(n)
def user_a(n): return user_b(n)

n = 100_000
best = min(user_a(n) for _ in range(5))
print(f"{best / n * 1e6:.2f} us per submission ({len(sites._stacks)} stack interned)")
