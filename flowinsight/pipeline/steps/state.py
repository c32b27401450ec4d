"""What the core steps hand each other: the analysis so far, one frozen value, each step's
output a field of its own (None until that step has run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypeVar

from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import FunctionRef, JobUpdate
from flowinsight.pipeline.attempt_rows import Swept
from flowinsight.pipeline.call_sites import Frames
from flowinsight.pipeline.facts import TaskFacts
from flowinsight.pipeline.failures import Judged
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.options import Options
from flowinsight.pipeline.partial import Partial
from flowinsight.pipeline.scan import TableScan
from flowinsight.pipeline.tasks import Task
from flowinsight.result import (
    Actor,
    AttemptTable,
    CallFlow,
    Coverage,
    CriticalPath,
    DataFlow,
    Result,
    Stats,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Selected:
    """selection.py: the records analysed and how Ray names them."""

    scan: TableScan  # scan.tasks: the selection
    # the defined tasks the --since/--until window left out: a caller among them is named by
    # its record (it is no task without a definition)
    outside: dict[str, Task]
    # task id -> its function under the name Ray runs it as, where that is not its record's:
    # by its `task::` span (identity.renames_by_span) or its Ray Data operator
    # (datasets.name_by_operator)
    renames: dict[str, FunctionRef]
    count: int  # tasks selected (the selection itself is let go under consume: release.py)
    # task id -> the uuid of the Ray Data operator it ran for, for the tasks Ray Data did not
    # label with it (data_stages.operator_stages)
    operators: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Actors:
    """actors.py: the actors, as drawn (by class with --group-by class)."""

    actors: dict[str, Actor]
    silent: list[Actor]  # no record of Ray's task events names them: events were off
    silent_calls: int  # their task records (the recorder's submissions), all without attempts


@dataclass(frozen=True, slots=True)
class Sites:
    """sites.py: the call sites of tasks, and where their tasks and callers are."""

    sites: dict[str, tuple[Frames, str]]  # call sites by task (call_sites.task_sites)
    placed: dict[str, tuple[str, str]]  # their tasks' and callers' nodes (place_sites)


@dataclass(frozen=True, slots=True)
class Judgement:
    """failures.py: the failed attempts judged, and the stats without intended ends."""

    judged: Judged
    node_stats: dict[str, Stats]
    calls: tuple[CallFlow, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis so far. The inputs first; then each step's output, in the order of
    build.CORE."""

    reduced: Partial
    account: ReadAccount
    options: Options
    # let each record go once the steps that read records are done (release.py)
    consume: bool = False
    # job.py: with --job, the driver jobs of every job read (`reduced` holds the view's)
    every_job: list[JobUpdate] | None = None
    selected: Selected | None = None
    namer: NodeNamer | None = None  # naming.py's, shared: a cache of every answer it gave
    facts: TaskFacts | None = None
    swept: Swept | None = None
    flows: tuple[DataFlow, ...] | None = None
    orphans: int = 0  # by-value arguments without a producer (graph.data_flows)
    actors: Actors | None = None
    sites: Sites | None = None
    # unexecuted.py: the failed attempts whose function never ran (an input's failure)
    unexecuted: frozenset[tuple[str, int]] | None = None
    judgement: Judgement | None = None
    coverage: Coverage | None = None
    # coverage.py: the sweep's attempts with the columns of those without a final state that
    # miss nothing (capture_end.py): at_capture_end (caught by the capture's end while their
    # job ran) and at_job_end (cut short by their job's end), where any row has one
    attempts: AttemptTable | None = None
    critical_paths: tuple[CriticalPath, ...] | None = None
    result: Result | None = field(default=None)


CoreStep = Callable[[Analysis], Analysis]


def need(value: T | None, what: str) -> T:
    """A field an earlier step fills; asked for before it ran, a bug in the order of
    build.CORE."""
    if value is None:
        raise RuntimeError(f"analysis step out of order: {what} is not worked out yet")
    return value
