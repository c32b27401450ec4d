"""RLlib PPO on CartPole-v1 on the new API stack (RLlib's default in this Ray): EnvRunner actors
that step the environment, a Learner actor that updates the model, and the Algorithm, itself a
Tune Trainable. Run 1, built directly: config.build_algo(), 2 algo.train() iterations, then
algo.stop() (which ends its EnvRunner and Learner actors). Run 2, the same config through
tune.Tuner("PPO", ..., stop={"training_iteration": 1}): Tune runs the Algorithm as a trial
actor, which makes its own EnvRunner and Learner actors, and stops it after one iteration.
Small batches keep each run short on 2 cores. Truth: lib_state phase `end` (after both)."""

import sys
from pathlib import Path

import ray
from ray import tune
from ray.rllib.algorithms.ppo import PPOConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

config = (
    PPOConfig()
    .environment("CartPole-v1")
    .env_runners(num_env_runners=1, num_envs_per_env_runner=1, num_cpus_per_env_runner=1,
                 rollout_fragment_length=100)
    .learners(num_learners=1, num_cpus_per_learner=1)
    .training(train_batch_size_per_learner=200, minibatch_size=100, num_epochs=1)
    .debugging(seed=0)
)

ray.init(num_cpus=4)  # the algorithm (or trial), 1 EnvRunner, 1 Learner, one spare
algo = config.build_algo()
for _ in range(2):
    result = algo.train()
print("iterations", result["training_iteration"])
assert result["training_iteration"] == 2
algo.stop()

tuner = tune.Tuner(
    "PPO", param_space=config,
    run_config=tune.RunConfig(name="ppo", storage_path=str(Path.cwd() / "tune_results"),
                              stop={"training_iteration": 1}, verbose=0))
results = tuner.fit()
print("trials", len(results), "errors", results.errors)
assert len(results) == 1 and not results.errors
assert results[0].metrics["training_iteration"] == 1
lib_state.dump("end", "both runs returned, before ray.shutdown()")
ray.shutdown()
