"""A driver for an existing cluster (address from RAY_ADDRESS): tasks and an actor."""

import ray

ray.init()


@ray.remote
def total(blob):
    return len(blob)


@ray.remote
class Keeper:
    def keep(self, blob):
        return len(blob)


assert ray.get([total.remote(b"a" * 10_000) for _ in range(3)]) == [10_000] * 3
keeper = Keeper.remote()
assert ray.get(keeper.keep.remote(b"b" * 20_000)) == 20_000
print("job", ray.get_runtime_context().get_job_id())
ray.shutdown()
