"""The result of an analysis: one frozen value that every renderer reads and none changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flowinsight.model.capture import FileReport, Skipped
from flowinsight.model.events import FailureNote

SCHEMA_VERSION = "1.0"


class NodeKind(StrEnum):
    DRIVER = "driver"  # `main`, one per job
    FUNCTION = "function"  # a plain remote function
    ACTOR = "actor"  # an actor instance (its creation is a call to it)
    METHOD = "method"  # a method of one actor instance


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    name: str  # function or method name; the class name for an actor; "main"
    module: str
    actor_id: str  # for actors and methods
    job_id: str
    language: str
    calls: int  # submissions received
    inferred: bool  # no definition was recorded for any of its tasks: named from ids and spans


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    class_name: str
    actor_name: str  # user-given name, or ""
    job_id: str
    language: str
    state: str  # the last EXPORT_ACTOR state, or ""
    detached: bool


@dataclass(frozen=True, slots=True)
class CallFlow:
    source: str
    target: str
    count: int


@dataclass(frozen=True, slots=True)
class DataFlow:
    source: str
    target: str
    count: int  # transfers: every get counts
    bytes: int | None  # sum over transfers of known size; None when no size is known
    unsized: int  # transfers whose size is unknown (a get without a put)
    bytes_per_s: float | None  # bytes over the span from the first put to the last get


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    entrypoint: str
    driver_pid: int | None
    start_ms: int | None
    end_ms: int | None
    tasks: int  # task records, the drivers' own included (as Ray counts them)


@dataclass(frozen=True, slots=True)
class FileSummary:
    """The read account that goes into output (per file, only files with something to say)."""

    files: tuple[FileReport, ...]
    examples: tuple[Skipped, ...]
    events: int
    lines: int

    @property
    def skipped(self) -> int:
        return sum(f.skipped_total for f in self.files)

    def skipped_by_reason(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.skipped:
                totals[reason] = totals.get(reason, 0) + n
        return dict(sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class Result:
    jobs: tuple[Job, ...]
    nodes: tuple[Node, ...]
    actors: tuple[Actor, ...]
    call_flows: tuple[CallFlow, ...]
    data_flows: tuple[DataFlow, ...]
    failure_notes: tuple[FailureNote, ...]
    read: FileSummary
    tasks: int  # task records, the drivers' own included (as Ray counts them)
    sources: tuple[str, ...]  # which formats the capture held: "export_api", "ray_event"
    has_object_events: bool
    warnings: tuple[str, ...] = field(default=())
