"""A SAGE-like dispatcher: driver-side plain objects Dispatcher -> Scheduler ->
PlacementExecutor -> TaskFactory create the actors (RayTask.remote()) and call them; a
Coordinator actor's method creates two RayTask actors and calls them; a Source and a Sink
actor talk through a ray.util.queue.Queue (itself an actor, _QueueActor); an ActorPool of two
RayTasks runs map_unordered over 6 items. No failure. Truth: lib_state phase `end`."""

import sys
from pathlib import Path

import ray
from ray.util import ActorPool
from ray.util.queue import Queue

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
class RayTask:
    def run(self, x):
        return x + 1


@ray.remote
class Coordinator:
    def fan_out(self, x):
        helpers = [RayTask.remote() for _ in range(2)]  # created by this actor, not the driver
        return sum(ray.get([h.run.remote(x) for h in helpers]))


@ray.remote
class Source:
    def produce(self, queue, n):
        for i in range(n):
            queue.put(i)
        queue.put(None)
        return n


@ray.remote
class Sink:
    def consume(self, queue):
        total = 0
        while (item := queue.get(timeout=30)) is not None:
            total += item
        return total


class TaskFactory:
    def create(self):
        return RayTask.remote()


class PlacementExecutor:
    def place(self, n):
        return [TaskFactory().create() for _ in range(n)]


class Scheduler:
    def schedule(self, items):
        actors = PlacementExecutor().place(2)
        return ray.get([actors[i % 2].run.remote(x) for i, x in enumerate(items)]), actors


class Dispatcher:
    def dispatch(self, items):
        return Scheduler().schedule(items)


ray.init(num_cpus=2)
results, actors = Dispatcher().dispatch([1, 2, 3, 4])
print("dispatched", results, "fan_out", ray.get(Coordinator.remote().fan_out.remote(5)))
queue = Queue(maxsize=4)
source, sink = Source.remote(), Sink.remote()
produced, total = ray.get([source.produce.remote(queue, 5), sink.consume.remote(queue)])
print("queue", produced, total)
print("pool", sorted(ActorPool(actors).map_unordered(lambda a, v: a.run.remote(v), range(6))))
lib_state.dump("end", "all work done, before ray.shutdown()")
ray.shutdown()
