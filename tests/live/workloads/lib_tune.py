"""A Tune run of 3 function trials: tune.Tuner(trainable, param_space={"x": grid_search([1, 2,
3])}), each trial reports `score` once per iteration and would run 10 iterations, but
RunConfig(stop={"training_iteration": 3}) makes Tune stop every trial after its 3rd report (an
intended end). Results go to a temp dir in the working directory. No failures. Truth: lib_state
phase `end` (after tuner.fit(), before ray.shutdown)."""

import sys
from pathlib import Path

import ray
from ray import tune

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def trainable(config):
    for step in range(10):
        tune.report({"score": config["x"] * (step + 1)})


ray.init(num_cpus=2)
tuner = tune.Tuner(
    trainable,
    param_space={"x": tune.grid_search([1, 2, 3])},
    tune_config=tune.TuneConfig(metric="score", mode="max"),
    run_config=tune.RunConfig(name="lib_tune", storage_path=str(Path.cwd() / "tune_results"),
                              stop={"training_iteration": 3}, verbose=0),
)
results = tuner.fit()
print("trials", len(results), "errors", results.num_errors,
      "best x", results.get_best_result().config["x"])
assert len(results) == 3 and results.num_errors == 0
lib_state.dump("end", "tuner.fit() returned, before ray.shutdown()")
ray.shutdown()
