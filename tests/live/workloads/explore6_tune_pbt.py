"""Tune's PopulationBasedTraining over a checkpointing function trainable: 4 trials (lr 0.1,
0.2, 0.3, 0.4), at most 2 at once, 6 iterations each, perturbation_interval=2. Every
iteration reports its score with a Checkpoint (a small JSON file); at each perturbation PBT
pauses the worse trials and restarts them from a better trial's checkpoint with a mutated lr
(exploit/explore). Paused, restored and finished trials are intended ends; no trial errors.
With EXPLORE6_REUSE=1, TuneConfig(reuse_actors=True): Tune starts a paused trial again on an
idle trial actor (`reset`) rather than a new one. Truth: lib_state phase `end` (after
tuner.fit(), before ray.shutdown)."""

import json
import os
import random
import sys
import tempfile
from pathlib import Path

import ray
from ray import tune
from ray.tune import Checkpoint
from ray.tune.schedulers import PopulationBasedTraining

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


def climb(config):
    score, start = 0.0, 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:  # restored: from its own pause, or from another trial's checkpoint (exploit)
        with checkpoint.as_directory() as src:
            state = json.loads(Path(src, "state.json").read_text())
        score, start = state["score"], state["step"]
    for step in range(start, 6):
        score += config["lr"]
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "state.json").write_text(json.dumps({"score": score, "step": step + 1}))
            tune.report({"score": score}, checkpoint=Checkpoint.from_directory(tmp))


random.seed(7)  # PBT's explore draws from Python's random
ray.init(num_cpus=2)
pbt = PopulationBasedTraining(
    time_attr="training_iteration", perturbation_interval=2,
    hyperparam_mutations={"lr": tune.uniform(0.05, 0.5)}, quantile_fraction=0.5)
tuner = tune.Tuner(
    climb,
    param_space={"lr": tune.grid_search([0.1, 0.2, 0.3, 0.4])},
    tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=pbt,
                                max_concurrent_trials=2,
                                reuse_actors=os.environ.get("EXPLORE6_REUSE") == "1"),
    run_config=tune.RunConfig(
        name="explore6_tune_pbt", storage_path=str(Path.cwd() / "tune_results"), verbose=0,
        stop={"training_iteration": 6}),
)
results = tuner.fit()
iterations = sorted(r.metrics["training_iteration"] for r in results)
print("trials", len(results), "errors", results.num_errors, "iterations", iterations)
assert len(results) == 4 and results.num_errors == 0, iterations
lib_state.dump("end", "tuner.fit() returned, before ray.shutdown()")
ray.shutdown()
