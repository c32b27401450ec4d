"""What the nodes, jobs, coverage and critical path need of the task records, in one pass
before the records are let go (native/facts.c when built; task_facts_py is the
reference), with the sweep of the records in the same pass (facts_and_sweep)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import TaskType
from flowinsight.model.ids import JOB_HEX, TASK_HEX, is_driver_task
from flowinsight.pipeline.attempt_rows import Swept, sweep_py, swept_of
from flowinsight.pipeline.coverage import coverage, coverage_from
from flowinsight.pipeline.naming import NO_ACTOR, NodeNamer
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.tasks import Task
from flowinsight.result import Coverage

if TYPE_CHECKING:
    from flowinsight.pipeline._sweep import SweptColumns


@dataclass(slots=True)
class TaskFacts:
    """What the nodes, jobs, coverage and critical path need of the task records, gathered in
    one pass before the records are let go; every task's node, and its caller's, is worked out
    on the way (in table order: a node's key is the one its first task gave it)."""

    received: dict[str, int]  # node -> tasks it received (drivers excluded)
    defined: set[str]  # nodes with a defined task
    languages: dict[str, str]  # node -> language of its first task that names one
    drivers: set[str]  # driver task ids
    job_counts: Counter[str]  # job -> tasks (drivers excluded)
    jobs_of: dict[str, str]  # task -> job, where it is not the job in the task's id
    coverage: Coverage


def task_facts(tasks: dict[str, Task], node_of: NodeNamer, account: ReadAccount,
               has_export: bool) -> TaskFacts:
    """task_facts_py's answer, from the C version (native/facts.c) when it is built."""
    if sweep_module is None:
        return task_facts_py(tasks, node_of, account, has_export)
    facts, _ = _facts_c(tasks, node_of, account, has_export, False)
    return facts


def facts_and_sweep(tasks: dict[str, Task], node_of: NodeNamer, account: ReadAccount,
                    has_export: bool) -> tuple[TaskFacts, Swept]:
    """The facts and the sweep (attempt_rows.py) of the records, in one pass over them (C:
    facts.c sweeps each task as soon as its node and its caller's are known; the reference is
    task_facts_py then sweep_py). The records are only read: the caller lets them go."""
    if sweep_module is None:
        facts = task_facts_py(tasks, node_of, account, has_export)
        return facts, sweep_py(tasks, sorted(tasks), node_of, facts.drivers, False)
    facts, columns = _facts_c(tasks, node_of, account, has_export, True)
    assert columns is not None  # asked for
    return facts, swept_of(columns)


def _facts_c(tasks: dict[str, Task], node_of: NodeNamer, account: ReadAccount,
             has_export: bool, sweep: bool) -> tuple[TaskFacts, SweptColumns | None]:
    assert sweep_module is not None
    # with the sweep, the tasks their shape answers are left out of the namer's cache
    # (NodeNamer.by_shape: completed if it is ever read)
    (received, defined, languages, drivers, job_counts, jobs_of, counts,
     swept) = sweep_module.facts(tasks, node_of.cache, node_of.shapes, node_of, NO_ACTOR,
                                 TaskType.DRIVER, has_export, sweep)
    node_of.by_shape = node_of.by_shape or sweep
    return TaskFacts(received, defined, languages, drivers, Counter(job_counts), jobs_of,
                     coverage_from(counts, account.files)), swept


def task_facts_py(tasks: dict[str, Task], node_of: NodeNamer, account: ReadAccount,
                  has_export: bool) -> TaskFacts:
    received: dict[str, int] = {}
    defined: set[str] = set()
    languages: dict[str, str] = {}
    drivers = set()
    job_counts: Counter[str] = Counter()
    jobs_of: dict[str, str] = {}
    known = node_of.known
    for tid, task in tasks.items():
        parent = task.parent_task_id
        if parent and known(parent) is None:  # a caller may have no record of its own
            node_of(parent)
        nid = known(tid) or node_of(tid)
        if task.task_type is not None:
            defined.add(nid)
        language = task.language
        if language and nid not in languages:
            languages[nid] = language
        job = task.job_id
        if is_driver_task(tid):
            drivers.add(tid)
        else:
            received[nid] = received.get(nid, 0) + 1
            job_counts[job] += 1
        # job != job_of_task(tid), without the slice: a 48-char id ends with its job's 8
        if len(tid) == TASK_HEX:
            if len(job) != JOB_HEX or not tid.endswith(job):
                jobs_of[tid] = job
        elif job:
            jobs_of[tid] = job
    return TaskFacts(received, defined, languages, drivers, job_counts, jobs_of,
                  coverage(tasks, account.files, has_export))
