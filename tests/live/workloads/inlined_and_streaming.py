"""Objects the executor sees without their id: a map task's small return (Ray inlines it into
the reducer's task spec, under 100 KiB) and a streaming generator's yields (stored while the
task runs). The recorder names the forwarded refs and the yields at their producer."""

import ray


@ray.remote
def small(i):
    return bytes([i]) * 8000


@ray.remote
def reduce_parts(*parts):
    return sum(len(p) for p in parts)


@ray.remote(num_returns="streaming")
def blocks(n):
    for i in range(n):
        yield bytes([i]) * (1000 * (i + 1))


@ray.remote
def consume(block):
    return len(block)


ray.init(num_cpus=2)
parts = [small.remote(i) for i in range(2)]
print("reduced", ray.get(reduce_parts.remote(*parts)))
refs = list(blocks.remote(3))
print("consumed", ray.get([consume.remote(r) for r in refs]))
ray.shutdown()
