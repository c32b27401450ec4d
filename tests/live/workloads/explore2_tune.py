"""Tune with a function trainable reporting 3 iterations: 3 trials (x in 1, 2, 3), at most 2
running at once (max_concurrent_trials=2); trial x=2 raises after its first report (a true
failure: Tune records the trial as errored and goes on). Truth: lib_state phase `end` (after
tuner.fit(), before ray.shutdown)."""

import sys
from pathlib import Path

import ray
from ray import tune

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def trainable(config):
    for step in range(3):
        tune.report({"score": config["x"] * (step + 1)})
        if config["x"] == 2:
            raise RuntimeError("trial x=2 fails on purpose")


ray.init(num_cpus=2)
tuner = tune.Tuner(
    trainable,
    param_space={"x": tune.grid_search([1, 2, 3])},
    tune_config=tune.TuneConfig(metric="score", mode="max", max_concurrent_trials=2),
    run_config=tune.RunConfig(name="explore2_tune", storage_path=str(Path.cwd() / "tune_results"),
                              verbose=0),
)
results = tuner.fit()
print("trials", len(results), "errors", results.num_errors)
assert len(results) == 3 and results.num_errors == 1
lib_state.dump("end", "tuner.fit() returned, before ray.shutdown()")
ray.shutdown()
