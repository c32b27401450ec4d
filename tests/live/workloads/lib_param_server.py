"""A synchronous parameter server: a `ParameterServer` actor holds 60,000 float32 weights
(240 kB, in the object store); 2 `DataWorker` actors, for 3 iterations each, get the current
weights as an ObjectRef argument (`compute_gradients`) and return a gradient of the same size;
the server applies both (`apply_gradients`, the 2 gradient refs as arguments). Per iteration:
main -> ParameterServer.get_weights x1, DataWorker.compute_gradients x2 (one per worker),
ParameterServer.apply_gradients x1; at the end main -> get_weights x1 more (4 in all). No
failures; all 3 actors alive at the end of the job. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import numpy as np
import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

DIM = 60_000


@ray.remote
class ParameterServer:
    def __init__(self, dim):
        self.weights = np.zeros(dim, dtype=np.float32)

    def get_weights(self):
        return self.weights

    def apply_gradients(self, *gradients):
        self.weights -= 0.1 * np.sum(gradients, axis=0)
        return float(self.weights.sum())


@ray.remote
class DataWorker:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def compute_gradients(self, weights):
        return (weights + self.rng.random(weights.shape, dtype=np.float32)).astype(np.float32)


ray.init(num_cpus=2)
ps = ParameterServer.remote(DIM)
workers = [DataWorker.remote(seed) for seed in range(2)]
for _ in range(3):
    weights = ps.get_weights.remote()
    gradients = [w.compute_gradients.remote(weights) for w in workers]
    print("sum", ray.get(ps.apply_gradients.remote(*gradients)))
final = ray.get(ps.get_weights.remote())
print("final weights", final.shape, float(final.sum()))
lib_state.dump("end", "3 iterations done, all actors alive, before ray.shutdown()")
ray.shutdown()
