"""Tune: an experiment that ends with an errored trial, restored in the same driver. A function
trainable over 4 trials (x = 1..4), 3 iterations each, at most 2 at once,
FailureConfig(max_failures=0): trial x=3 raises at its 2nd iteration on its first run (a marker
file says it ran), so fit() returns with 1 errored trial. Then Tuner.restore(path,
restart_errored=True).fit() runs the errored trial again from scratch (it succeeds) and leaves
the finished ones be. The first run's raise is the one real failure. Truth: lib_state phase
`end` (after both fits, before ray.shutdown)."""

import sys
from pathlib import Path

import ray
from ray import tune

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

MARKS = Path.cwd() / "marks"  # the workers' cwd is the trial's own directory: an absolute path


def trainable(config):
    x = config["x"]
    for step in range(3):
        mark = Path(config["marks"], f"x{x}")
        if x == 3 and step == 1 and not mark.exists():
            mark.write_text("ran")
            raise RuntimeError(f"trial x={x} fails on its first run")
        tune.report({"score": x * step})


MARKS.mkdir()
ray.init(num_cpus=2)
storage = Path.cwd() / "tune_results"
tuner = tune.Tuner(
    trainable,
    param_space={"x": tune.grid_search([1, 2, 3, 4]), "marks": str(MARKS)},
    tune_config=tune.TuneConfig(metric="score", mode="max", max_concurrent_trials=2),
    run_config=tune.RunConfig(
        name="explore12_tune_restore", storage_path=str(storage), verbose=0,
        failure_config=tune.FailureConfig(max_failures=0)),
)
first = tuner.fit()
print("first: trials", len(first), "errors", first.num_errors)
assert len(first) == 4 and first.num_errors == 1
restored = tune.Tuner.restore(str(storage / "explore12_tune_restore"), trainable,
                              restart_errored=True)
second = restored.fit()
iterations = sorted(r.metrics["training_iteration"] for r in second)
print("restored: trials", len(second), "errors", second.num_errors, "iterations", iterations)
assert len(second) == 4 and second.num_errors == 0 and iterations == [3, 3, 3, 3], iterations
lib_state.dump("end", "both fits returned, before ray.shutdown()")
ray.shutdown()
