"""RLlib PPO on CartPole-v1 (the config of explore9_rllib.py) built in the driver: 2
algo.train() iterations, algo.save() (Algorithm.save_to_path: the Learner's state read back
with its get_state, ray.put, and handed to the Learner's save_to_path, the ~1.6 MB each way
Tune's PPO.save moves), then algo.stop(). Every ray.get of the driver during the iterations and
the save is followed by a State API snapshot of the objects (lib_objects.Watch), while the
driver still holds what it read: phase `objects`. Truth for the tasks: lib_state phase `end`
(before ray.shutdown())."""

import sys
import tempfile
from pathlib import Path

import ray
from ray.rllib.algorithms.ppo import PPOConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_objects  # noqa: E402
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

ray.init(num_cpus=4)  # 1 EnvRunner, 1 Learner, spares
algo = config.build_algo()
watch = lib_objects.Watch()
with watch.on_gets():
    for _ in range(2):
        result = algo.train()
    with tempfile.TemporaryDirectory() as tmp:
        saved = algo.save(tmp)
print("iterations", result["training_iteration"], "snapshots", watch.snapshots)
assert result["training_iteration"] == 2
watch.save("objects", "after every ray.get of the driver in algo.train() and algo.save()")
algo.stop()
lib_state.dump("end", "the run returned, before ray.shutdown()")
ray.shutdown()
