"""The story of each failure, for the renderers that tell it (terminal, Markdown): what failed
(the node and the task), where (worker and Ray node), when (seconds from its job's start), the
error's type and message, and the traceback's last frames — found in the failed attempt's full
message, which Ray keeps as the task's error. Plain text out: each renderer escapes."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from flowinsight.labels import Labels
from flowinsight.result import Attempt, Failure, Result, failed_of, failure_groups
from flowinsight.units import counted

FRAMES = 3  # the traceback's last frames shown
_FRAME = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+), in (?P<fn>.*)$')


@dataclass(frozen=True, slots=True)
class Frame:
    file: str
    line: int
    function: str
    code: str  # the source line Python printed under it, or ""

    def where(self) -> str:
        return f"{self.file}:{self.line} in {self.function}"


@dataclass(frozen=True, slots=True)
class Story:
    failure: Failure
    node: str  # the node's readable label, or "(cluster)"
    task: str  # "<task id> attempt <n>", or ""
    worker: str  # "worker <pid> (<id>)", or ""
    ray_node: str  # the Ray node: its IP and id ("10.0.0.2 (<id>)"), its id, its IP, or ""
    at_s: float | None  # seconds from the start of its job (or of the capture's first job)
    frames: tuple[Frame, ...]

    @property
    def error(self) -> str:
        """`TYPE: message`, the message being the line that says what went wrong."""
        f = self.failure
        return f"{f.error_type}: {f.message}" if f.message else f.error_type


def frames(message: str, last: int = FRAMES) -> tuple[Frame, ...]:
    """The last frames of the Python traceback in a message (none if it holds none)."""
    lines = message.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = _FRAME.match(line)
        if m:
            code = lines[i + 1].strip() if i + 1 < len(lines) and not _FRAME.match(
                lines[i + 1]) else ""
            found.append(Frame(m["file"], int(m["line"]), m["fn"], code))
    return tuple(found[-last:]) if last else ()


def stories(result: Result, labels: Labels) -> list[Story]:
    """One story per failure, in time order."""
    attempts: dict[tuple[str, int | None], Attempt] = {
        (a.task_id, a.attempt): a for a in failed_of(result.attempts)}
    starts = sorted(j.start_ms for j in result.jobs if j.start_ms is not None)
    origin = starts[0] / 1000 if starts else None
    out = []
    for f in sorted(result.failures, key=lambda f: (f.time_s or 0.0, f.node, f.task_id)):
        a = attempts.get((f.task_id, f.attempt))
        worker = ""
        if a is not None and (a.worker_pid or a.worker_id):
            worker = f"worker {a.worker_pid or '?'}" + (f" ({a.worker_id[:8]})"
                                                       if a.worker_id else "")
        out.append(Story(
            failure=f,
            node=labels.node(f.node) if f.node else "(cluster)",
            task=f"{f.task_id} attempt {f.attempt}" if f.task_id and f.attempt is not None
            else f.task_id,
            worker=worker,
            # an actor's death names no attempt: the IP of the node it died on, where known
            ray_node=f.node_ip if a is None else f"{a.node_ip} ({a.ray_node_id})" if a.node_ip
            and a.ray_node_id else a.ray_node_id,
            at_s=f.time_s - origin if f.time_s is not None and origin is not None else None,
            frames=frames(a.error_message) if a is not None else ()))
    return out


def told(result: Result, labels: Labels) -> list[tuple[Story, tuple[Story, ...]]]:
    """The stories once per cause (result.failure_groups): each failure no other explains,
    in time order, with the stories of those that followed from it."""
    by_failure = {id(s.failure): s for s in stories(result, labels)}
    return [(by_failure[id(root)], tuple(by_failure[id(f)] for f in rest))
            for root, rest in failure_groups(result.failures)]


def followed(rest: Sequence[Story]) -> str:
    """What followed from a cause, in a line: "3 calls failed with it: Fragile.ping ×2,
    Fragile.work ×1" (the most first), or "1 failure followed from it: Keeper (actor) ×1"
    where not all are calls."""
    names = Counter(s.node if s.failure.kind == "task" else f"{s.node} ({s.failure.kind})"
                    for s in rest)
    items = ", ".join(f"{name} ×{n}" for name, n in sorted(names.items(),
                                                          key=lambda i: (-i[1], i[0])))
    if all(s.failure.kind == "task" for s in rest):
        return f"{counted(len(rest), 'call')} failed with it: {items}"
    return f"{counted(len(rest), 'failure')} followed from it: {items}"


def by_error(cause: Story, rest: Sequence[Story]) -> list[tuple[str, list[Story]]]:
    """The consequences by their error, in order of first time: the error's type, with its
    message where it is not the cause's own (said once for all that share it)."""
    out: dict[str, list[Story]] = {}
    for s in rest:
        out.setdefault(error_after(s, cause), []).append(s)
    return list(out.items())


def error_after(s: Story, cause: Story) -> str:
    """A consequence's error as told under its cause: its type alone where its message is
    the cause's (or none), else type and message."""
    f = s.failure
    return f.error_type if not f.message or f.message == cause.failure.message else s.error


def brief(s: Story, cause: Story) -> str:
    """A consequence in a line: its node, task and attempt, time, and where it ran when that
    is not where its cause was."""
    parts = [s.node + ("" if s.failure.kind == "task" else f" ({s.failure.kind})")]
    if s.task:
        parts.append(f"task {s.task}")
    if s.at_s is not None:
        parts.append(f"at {s.at_s:.2f} s")
    if s.ray_node and s.ray_node.split(" ")[0] != cause.ray_node.split(" ")[0]:
        parts.append(f"on Ray node {s.ray_node}")
    return ", ".join(parts)
