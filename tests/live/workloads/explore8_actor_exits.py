"""Actors that end on purpose: `ray.actor.exit_actor()` inside a method of a sync actor
(`Quitter`, 2 `ping`s queued behind it), an async actor (`AsyncQuitter`) and a threaded one
(`ThreadedQuitter`, max_concurrency=4, max_restarts=2: not restarted), each with 2 `slow`
calls running beside the exit (Ray lets them finish); in a constructor (`NeverStarts`, one
call); and `actor.__ray_terminate__.remote()` (`Terminated`, 2 `ping`s queued behind it). The
calls behind an exit fail ActorDiedError: an intended exit, so no failures at all.
Truth: lib_state phase `end`."""

import asyncio
import sys
import time
from pathlib import Path

import ray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib_state  # noqa: E402


@ray.remote
class Quitter:
    def ping(self):
        return "pong"

    def quit(self):
        ray.actor.exit_actor()


@ray.remote
class AsyncQuitter:
    async def ping(self):
        return "pong"

    async def slow(self):
        await asyncio.sleep(3)

    async def quit(self):
        ray.actor.exit_actor()


@ray.remote(max_concurrency=4, max_restarts=2)
class ThreadedQuitter(Quitter.__ray_actor_class__):
    def slow(self):
        time.sleep(3)


@ray.remote
class NeverStarts(Quitter.__ray_actor_class__):
    def __init__(self):
        ray.actor.exit_actor()


@ray.remote
class Terminated(Quitter.__ray_actor_class__):
    pass


def outcome(ref):
    try:
        return ray.get(ref, timeout=30)
    except ray.exceptions.RayActorError as err:
        return type(err).__name__


ray.init(num_cpus=2)
handles = []  # every actor held to the end: none goes out of scope before its exit
for cls in (Quitter, AsyncQuitter, ThreadedQuitter):
    actor = cls.remote()
    handles.append(actor)
    assert ray.get(actor.ping.remote()) == "pong"
    beside = [] if cls is Quitter else [actor.slow.remote() for _ in range(2)]
    time.sleep(1)  # the slow calls run
    quitting = actor.quit.remote()
    behind = [actor.ping.remote() for _ in range(2)] if cls is Quitter else []
    print("quit", outcome(quitting), "beside", [outcome(r) for r in beside],
          "behind", [outcome(r) for r in behind])
never = NeverStarts.remote()
print("NeverStarts.ping", outcome(never.ping.remote()))
terminated = Terminated.remote()
assert ray.get(terminated.ping.remote()) == "pong"
terminating = terminated.__ray_terminate__.remote()
behind = [terminated.ping.remote() for _ in range(2)]
print("__ray_terminate__", outcome(terminating), [outcome(r) for r in behind])
lib_state.dump("end", "5 actors ended on purpose, before ray.shutdown()")
ray.shutdown()
