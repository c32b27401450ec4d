"""A plain driver that knows nothing of the recorder (for `python -m flowinsight.recorder run`)."""

import ray

ray.init(num_cpus=1, include_dashboard=False)


@ray.remote
def shout(word):
    return word.upper()


assert ray.get(shout.remote("x" * 5000)) == "X" * 5000
ray.shutdown()
