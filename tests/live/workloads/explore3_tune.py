"""Tune with a class trainable (tune.Trainable: setup/step/save_checkpoint/load_checkpoint)
given its resources with tune.with_resources, and an early-stopping scheduler: ASHAScheduler
(grace_period=1, max_t=5, reduction_factor=2) over 5 trials (lr from 5 down to 1: the later, worse trials are the ones ASHA stops), at most 2 at once.
The trials ASHA stops early are intended ends, not failures; no trial errors. A checkpoint
every 2 iterations (save_checkpoint writes a small JSON file). Truth: lib_state phase `end`
(after tuner.fit(), before ray.shutdown)."""

import json
import os
import sys
from pathlib import Path

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


class Climber(tune.Trainable):
    def setup(self, config):
        self.lr, self.score = config["lr"], 0.0

    def step(self):
        self.score += self.lr  # the higher lr, the better: ASHA stops the low ones
        return {"score": self.score}

    def save_checkpoint(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "state.json"), "w") as out:
            json.dump({"score": self.score}, out)

    def load_checkpoint(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "state.json")) as src:
            self.score = json.load(src)["score"]


ray.init(num_cpus=2)
tuner = tune.Tuner(
    tune.with_resources(Climber, {"cpu": 1}),
    param_space={"lr": tune.grid_search([5.0, 4.0, 3.0, 2.0, 1.0])},
    tune_config=tune.TuneConfig(
        metric="score", mode="max", max_concurrent_trials=2,
        scheduler=ASHAScheduler(time_attr="training_iteration", grace_period=1, max_t=5,
                                reduction_factor=2)),
    run_config=tune.RunConfig(
        name="explore3_tune", storage_path=str(Path.cwd() / "tune_results"), verbose=0,
        stop={"training_iteration": 5},
        checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=2)),
)
results = tuner.fit()
iterations = sorted(r.metrics["training_iteration"] for r in results)
print("trials", len(results), "errors", results.num_errors, "iterations", iterations)
assert len(results) == 5 and results.num_errors == 0 and iterations[0] < 5, iterations
lib_state.dump("end", "tuner.fit() returned, before ray.shutdown()")
ray.shutdown()
