"""Tune retrying a failed trial: RunConfig(failure_config=FailureConfig(max_failures=1)), a
function trainable over 3 trials (x = 1, 2, 3), 3 iterations each, at most 2 at once. Trial
x=2 raises at its 2nd iteration on its first run only (a marker file says it ran): it
reported no checkpoint, so Tune retries it from scratch on a new actor. Trial x=3 reports a
Checkpoint every iteration and raises after its 2nd on its first run only: Tune retries it on
a new actor restored from that checkpoint. Both retries succeed; each first run is a real
failure (error). Truth: lib_state phase `end` (after tuner.fit(), before ray.shutdown)."""

import json
import sys
import tempfile
from pathlib import Path

import ray
from ray import tune
from ray.tune import Checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

MARKS = Path.cwd() / "marks"  # the workers' cwd is the trial's own directory: an absolute path


def flaky(config):
    x, start = config["x"], 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as src:
            start = json.loads(Path(src, "state.json").read_text())["step"]
    for step in range(start, 3):
        mark = Path(config["marks"], f"x{x}")
        if x > 1 and step == 1 + (x == 3) and not mark.exists():
            mark.write_text("ran")
            raise RuntimeError(f"trial x={x} fails on its first run")
        if x == 3:
            with tempfile.TemporaryDirectory() as tmp:
                Path(tmp, "state.json").write_text(json.dumps({"step": step + 1}))
                tune.report({"score": x * step}, checkpoint=Checkpoint.from_directory(tmp))
        else:
            tune.report({"score": x * step})


MARKS.mkdir()
ray.init(num_cpus=2)
tuner = tune.Tuner(
    flaky,
    param_space={"x": tune.grid_search([1, 2, 3]), "marks": str(MARKS)},
    tune_config=tune.TuneConfig(metric="score", mode="max", max_concurrent_trials=2),
    run_config=tune.RunConfig(
        name="explore6_tune_retry", storage_path=str(Path.cwd() / "tune_results"), verbose=0,
        failure_config=tune.FailureConfig(max_failures=1)),
)
results = tuner.fit()
iterations = sorted(r.metrics["training_iteration"] for r in results)
print("trials", len(results), "errors", results.num_errors, "iterations", iterations)
assert len(results) == 3 and results.num_errors == 0 and iterations == [3, 3, 3], iterations
assert sorted(p.name for p in MARKS.iterdir()) == ["x2", "x3"]
lib_state.dump("end", "tuner.fit() returned, before ray.shutdown()")
ray.shutdown()
