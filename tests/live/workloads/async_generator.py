"""An async actor method that is an async generator, its yields consumed by a task: main ->
Streamer.blocks(4) (an `async def` that yields 3 small blocks, which Ray inlines into the
consumer's task spec, and one of 300 kB, which goes to the object store), main -> consume x4,
one per yielded ref. The recorder sizes the yields at the producer (recorder/async_yields.py).
Truth: lib_state phase `end` (taken while the refs are held), and `yielded.json`: each yield's
object id and the size Ray's serialiser gives it (data + metadata), as the program knows it."""

import asyncio
import json
import sys
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402

SIZES = (1000, 5000, 20000, 300_000)


def block(i):
    return bytes([i]) * SIZES[i]


@ray.remote
class Streamer:
    async def blocks(self, n):
        for i in range(n):
            await asyncio.sleep(0.01)
            yield block(i)


@ray.remote
def consume(data):
    return len(data)


ray.init(num_cpus=2)
streamer = Streamer.remote()
refs = list(streamer.blocks.remote(len(SIZES)))
print("consumed", ray.get([consume.remote(r) for r in refs]))
context = ray._private.worker.global_worker.get_serialization_context()
yielded = []
for i, ref in enumerate(refs):
    serialized = context.serialize(block(i))
    yielded.append({"object_id": ref.hex(),
                    "size": serialized.total_bytes + len(serialized.metadata)})
Path("yielded.json").write_text(json.dumps(yielded, indent=1) + "\n")
lib_state.dump("end", "every yield consumed, its ref held, before ray.shutdown()")
ray.shutdown()
