"""The tasks of Ray Data's operators that carry nothing of their operator: no
`__data_operator_id` label and no `.options(name=...)`, only their function's name. Ray Data
2.60 submits them so (ray.data._internal):

- an all-to-all operator run by an exchange task scheduler (`RandomShuffle`, `Repartition`,
  the sort-shuffle strategies' `Sort` and `Aggregate`; planner/exchange/
  pull_based_shuffle_task_scheduler.py, split_repartition_task_scheduler.py,
  push_based_shuffle_task_scheduler.py): `<TaskSpec>.map` (push-based: `map_partition` and
  `merge`) in its sub-stage `Shuffle Map`,
  `<TaskSpec>.reduce` in `Shuffle Reduce` or `Split Repartition` (which runs
  split.py's `_split_single_block` too), and the sort's `_sample_block` in `Sort Sample`
  (planner/exchange/sort_task_spec.py);
- the sort's sampling operator `SortSample(partitions=N)`
  (execution/operators/shuffle_operators/sort_sampling_operator.py): `_sample_block`;
- a limit operator `limit=N` (execution/operators/limit_operator.py): `slice_fn`, which cuts
  the block that reaches the limit;
- a zip operator `ZipOperator(...)` (execution/operators/zip_operator.py): `_zip_one_block`,
  `_get_num_rows_and_bytes`, and `_split_single_block` where it splits blocks to align its
  inputs (split.py), as the split repartition (`Split Repartition`) and `streaming_split`'s
  `split(n, equal=...)` (output_splitter.py) do;
- a hash-shuffling operator under the `hash_shuffle` strategy (`Shuffle(key_columns=...)`,
  `HashAggregate(key_columns=...)`, `Join(num_partitions=...)`: execution/operators/
  hash_shuffle.py): `_shuffle_block` tasks, and HashShuffleAggregator actors (no label, no
  name): an actor is its operator's by its creation task, and so are all its calls; the actor
  keeps its class, the name Ray shows.

Their tie to an operator is therefore the plan itself (EXPORT_DATASET_METADATA): the operators
of the task's job that run such a function (by the sub-stages Ray lists for the operator, or by
its kind of name), and among those of several datasets the one whose dataset was still running
when the task was submitted: the dataset that ends first at or after the submission. Ray writes
a dataset's start late (its stats actor registers it, and the first one starts with that
actor), so only the ends order them, and a start only shows datasets run at once (a task
submitted while another dataset with such an operator had begun is left as it is). In one plan,
all-to-all operators are barriers: a task submitted once an operator between two of them had
begun (by its label, or by its name in the dataset's time) is the later one's. Datasets run one
after another in a driver are told apart exactly; datasets ending at the same time, and two
such operators of one plan with nothing run between them, are not: their tasks keep their
function's name. The State API knows no more (it lists them under their functions' names).

The same holds for a task Ray Data names after its operator but does not label (the
SHUFFLE_V2 operators `HashShuffleMap(...)`, `HashShuffleReduce(...)`, `HashAggregateMap(...)`,
`HashAggregateReduce(...)`: execution/operators/shuffle_operators/shuffle_map_operator.py and
shuffle_reduce_operator.py submit their tasks `.options(name=self.name)` without the
`__data_operator_id` label) where operators of that name are in several plans of its job (a
groupby's count and its aggregate, a file read twice): its node is the name, and the dataset
running when it was submitted is the one whose operator ran it. A name in one plan needs no
plan to tell: all the tasks of its node are that operator's (datasets.py).

A task is named after its operator, and after the sub-stage as well where the operator lists
several (`ReadRange->RandomShuffle (Shuffle Map)`): Ray Data's own names, put together. Two
functions of one sub-stage are one node: the push-based shuffle's `map_partition` and `merge`
(Ray counts both in `Shuffle Map`), the split repartition's `_split_single_block` and
`reduce`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from flowinsight.model.events import (
    DatasetEvent,
    DatasetOperator,
    DatasetUpdate,
    TaskOperator,
    TaskType,
)
from flowinsight.pipeline.identity import span_name
from flowinsight.pipeline.tasks import Task

# function (the last part of its qualified name) -> the sub-stages of an all-to-all operator
# it runs in (ray.data._internal.planner.exchange: ExchangeTaskSpec.MAP_SUB_PROGRESS_BAR_NAME,
# REDUCE_SUB_PROGRESS_BAR_NAME, ShuffleTaskSpec.SPLIT_REPARTITION_SUB_PROGRESS_BAR_NAME,
# SortTaskSpec.SORT_SAMPLE_SUB_PROGRESS_BAR_NAME)
_STAGES: dict[str, tuple[str, ...]] = {
    "map": ("Shuffle Map",),
    # the push-based shuffle's map-merge stage, under Ray's one `Shuffle Map` sub-stage
    # (push_based_shuffle_task_scheduler.py: its local `map_partition` and `merge`)
    "map_partition": ("Shuffle Map",),
    "merge": ("Shuffle Map",),
    "reduce": ("Shuffle Reduce", "Split Repartition"),
    "_sample_block": ("Sort Sample",),
    "_split_single_block": ("Split Repartition",),  # ray.data._internal.split
}
# the hash-shuffling operators (execution/operators/hash_shuffle.py, hash_aggregate.py,
# join.py: HashShufflingOperatorBase's name_factory): `_shuffle_block` tasks partition their
# input into HashShuffleAggregator actors, whose `finalize` gives the output
_HASH_SHUFFLING = ("Shuffle(key_columns=", "HashAggregate(key_columns=", "Join(num_partitions=")
# function -> how the names of the operators that run it begin (LimitOperator: f"limit={n}";
# plan_all_to_all_op: f"SortSample(partitions={n})"; NAryOperator: f"{class}({inputs})")
_OPERATORS: dict[str, tuple[str, ...]] = {
    "_sample_block": ("SortSample(",),
    "slice_fn": ("limit=",),
    "_zip_one_block": ("ZipOperator(",),
    "_get_num_rows_and_bytes": ("ZipOperator(",),
    # OutputSplitter: f"split({n}, equal={equal})"; the zip aligns its inputs' blocks with
    # ray.data._internal.split._split_at_indices
    "_split_single_block": ("split(", "ZipOperator("),
    "_shuffle_block": _HASH_SHUFFLING,
}
# actor class -> how the names of the operators that start it begin: its creation and its
# methods are the operator's, the actor keeps the class Ray shows
_ACTORS: dict[str, tuple[str, ...]] = {"HashShuffleAggregator": _HASH_SHUFFLING}
_RAY_DATA = "ray.data."  # the package those functions are defined in


@dataclass(frozen=True, slots=True)
class Stage:
    """The operator a task ran for, and the name of the node it is ("" for an actor's task:
    its node is its actor's)."""

    operator_uuid: str
    name: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An operator that runs a function, with its stage's node name."""

    dataset_id: str
    job_id: str
    start_s: float  # its dataset's start as Ray wrote it (late, if anything), inf if none
    end_s: float  # its dataset's end, inf while it had none
    position: int  # in its plan's list of operators (Ray lists them upstream first)
    uuid: str
    name: str


def operator_stages(tasks: Mapping[str, Task],
                    events: Sequence[DatasetEvent]) -> dict[str, Stage]:
    """Task id -> its operator and node name, for each unlabelled normal task of a Ray Data
    function above that one operator of the capture's plans can have run, and for every task
    of an actor above that one such operator can have started."""
    labels = {ev.task_id: ev.operator_uuid for ev in events if isinstance(ev, TaskOperator)}
    plans = _latest(events)
    by_function = _candidates(plans)
    by_name = _named_in_several(plans)
    if not by_function and not by_name:
        return {}
    mine: list[tuple[str, Task, list[_Candidate]]] = []
    for task_id, task in tasks.items():
        function = task.function
        if function is None or task_id in labels:
            continue
        if task.task_type is TaskType.ACTOR_CREATION and function.class_name in _ACTORS:
            candidates = by_function.get(function.class_name)
            if candidates and (not function.module or function.module.startswith(_RAY_DATA)):
                mine.append((task_id, task, candidates))
            continue
        if task.task_type is not TaskType.NORMAL or (
                function.module and not function.module.startswith(_RAY_DATA)):
            continue
        short = function.name.rsplit(".", 1)[-1]
        span = span_name(task)
        candidates = by_function.get(short)
        if candidates and (not span or span == short):
            mine.append((task_id, task, candidates))
        elif span and (named := by_name.get(span)):  # run under its operator's name
            mine.append((task_id, task, named))
    if not mine:
        return {}
    between = _Between(plans, _runs(tasks, labels))
    out: dict[str, Stage] = {}
    actors: dict[str, str] = {}  # actor id -> its operator's uuid
    for task_id, task, candidates in mine:
        picked = _pick(candidates, task, between)
        if picked is None:
            continue
        if task.task_type is TaskType.ACTOR_CREATION:
            if task.actor_id:
                actors[task.actor_id] = picked.uuid
        else:
            out[task_id] = Stage(picked.uuid, picked.name)
    if actors:
        for task_id, task in tasks.items():
            if task.actor_id in actors and task_id not in labels:
                out[task_id] = Stage(actors[task.actor_id], "")
    return out


def _latest(events: Iterable[DatasetEvent]) -> dict[str, DatasetUpdate]:
    """Each dataset's last snapshot that knows its end (or its last one)."""
    out: dict[str, DatasetUpdate] = {}
    for ev in events:
        if isinstance(ev, DatasetUpdate):
            old = out.get(ev.dataset_id)
            if old is None or ev.exec_end_s or not old.exec_end_s:
                out[ev.dataset_id] = ev
    return out


def _candidates(plans: Mapping[str, DatasetUpdate]) -> dict[str, list[_Candidate]]:
    """function -> the operators that run it, in plan order, one per stage's node name."""
    out: dict[str, list[_Candidate]] = {}
    for dataset_id in sorted(plans):
        plan = plans[dataset_id]
        end = plan.exec_end_s if plan.exec_end_s else float("inf")
        start = plan.start_s or plan.exec_start_s or float("inf")
        for position, op in enumerate(plan.operators):
            if not op.uuid or not op.name:
                continue
            for function, stages in _STAGES.items():
                for stage in stages:
                    if stage in op.sub_stages:
                        name = f"{op.name} ({stage})" if len(op.sub_stages) > 1 else op.name
                        out.setdefault(function, []).append(
                            _Candidate(dataset_id, plan.job_id, start, end, position, op.uuid,
                                       name))
            for function, prefixes in (*_OPERATORS.items(), *_ACTORS.items()):
                if op.name.startswith(prefixes):
                    out.setdefault(function, []).append(
                        _Candidate(dataset_id, plan.job_id, start, end, position, op.uuid,
                                   op.name))
    return out


def _named_in_several(plans: Mapping[str, DatasetUpdate]) -> dict[str, list[_Candidate]]:
    """operator name -> its operators, for each name that is an operator's in more than one
    plan of a job and in none twice: the tasks Ray Data runs under that name belong to one of
    them, which only the plans tell (a name in one plan is that operator's alone)."""
    out: dict[str, list[_Candidate]] = {}
    twice: set[str] = set()
    for dataset_id in sorted(plans):
        plan = plans[dataset_id]
        end = plan.exec_end_s if plan.exec_end_s else float("inf")
        start = plan.start_s or plan.exec_start_s or float("inf")
        seen: set[str] = set()
        for position, op in enumerate(plan.operators):
            if not op.uuid or not op.name:
                continue
            if op.name in seen:
                twice.add(op.name)
            seen.add(op.name)
            out.setdefault(op.name, []).append(
                _Candidate(dataset_id, plan.job_id, start, end, position, op.uuid, op.name))
    return {name: ops for name, ops in out.items() if name not in twice
            and any(sum(1 for c in ops if c.job_id == job) > 1 for job in {c.job_id for c in ops})}


def _runs(tasks: Mapping[str, Task],
          labels: Mapping[str, str]) -> dict[tuple[str, str], list[float]]:
    """The submissions, in order, of the tasks of each (job, name Ray ran it under) and of
    each ("", operator uuid) they were labelled with."""
    out: dict[tuple[str, str], list[float]] = {}
    for task_id, task in tasks.items():
        if task.task_type is not TaskType.NORMAL or task.function is None:
            continue
        submitted = _submitted_s(task)
        if submitted is None:
            continue
        out.setdefault((task.job_id, span_name(task) or task.function.name), []).append(
            submitted)
        if task_id in labels:
            out.setdefault(("", labels[task_id]), []).append(submitted)
    for times in out.values():
        times.sort()
    return out


class _Between:
    """When the operators after an all-to-all operator began: Ray Data's all-to-all operators
    are barriers (all their input first, then their tasks, then their output), so a task
    submitted once an operator downstream of one began is not that one's. An operator's tasks
    are known by its label, or by its name among the tasks of its dataset's time: after the
    job's datasets that ended before it, up to its end (names repeat across datasets)."""

    def __init__(self, plans: Mapping[str, DatasetUpdate],
                 runs: Mapping[tuple[str, str], list[float]]) -> None:
        self.plans = plans
        self.runs = runs
        self._memo: dict[tuple[str, int, int], float | None] = {}

    def began(self, dataset_id: str, upstream: int, downstream: int) -> float | None:
        """The first submission of a task of an operator downstream of the plan's operator
        `upstream` and upstream of `downstream` (by position), None if none ran."""
        key = (dataset_id, upstream, downstream)
        if key not in self._memo:
            plan = self.plans[dataset_id]
            ops = plan.operators
            end = plan.exec_end_s or float("inf")
            after = max((p.exec_end_s for p in self.plans.values() if p.job_id == plan.job_id
                         and p.exec_end_s and p.exec_end_s < end), default=float("-inf"))
            times = []
            for i in _reach(ops, upstream) - {upstream, downstream}:
                if downstream not in _reach(ops, i):
                    continue
                labelled = self.runs.get(("", ops[i].uuid), [])
                times.extend(labelled[:1])
                named = self.runs.get((plan.job_id, ops[i].name), [])
                first = bisect_left(named, after)
                if first < len(named) and named[first] <= end:
                    times.append(named[first])
            self._memo[key] = min(times) if times else None
        return self._memo[key]


def _reach(ops: Sequence[DatasetOperator], start: int) -> set[int]:
    """The positions of `start` and every operator downstream of it."""
    readers: dict[str, list[int]] = {}
    for i, op in enumerate(ops):
        for source in op.inputs:
            readers.setdefault(source, []).append(i)
    seen = {start}
    todo = [start]
    while todo:
        for nxt in readers.get(ops[todo.pop()].id, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _pick(candidates: list[_Candidate], task: Task, between: _Between) -> _Candidate | None:
    """The operator of the task's job whose dataset ends first at or after the task's
    submission, and in that dataset the last one in plan order that a downstream operator of
    the one before it had begun before the submission; None where that is not one, or where
    another dataset with such an operator was running too (by its start, which Ray writes
    late, if anything)."""
    submitted = _submitted_s(task)
    if submitted is None:
        return None
    ending = [c for c in candidates if (not c.job_id or c.job_id == task.job_id)
              and c.end_s >= submitted]
    if not ending:
        return None
    end = min(c.end_s for c in ending)
    ours = sorted((c for c in ending if c.end_s == end), key=lambda c: c.position)
    if len({c.dataset_id for c in ours}) > 1:
        return None
    # another dataset with such an operator had surely begun: two ran at once
    if any(c.start_s <= submitted and c.end_s > end for c in ending):
        return None
    for k in range(len(ours) - 1, 0, -1):
        if ours[k].uuid == ours[k - 1].uuid:  # one operator, two stages: no barrier
            return None if ours[k].name != ours[k - 1].name else ours[k]
        began = between.began(ours[k].dataset_id, ours[k - 1].position, ours[k].position)
        if began is None:
            return None
        if submitted >= began:
            return ours[k]
    return ours[0]


def _submitted_s(task: Task) -> float | None:
    """Its submission (the recorder's, Ray's event export's), else its earliest state time
    (EXPORT_TASK's: PENDING_ARGS_AVAIL when the owner submitted it)."""
    if task.submit_ms is not None:
        return task.submit_ms / 1000
    times = [ns for attempt in task.attempts for ns in attempt.states().values()]
    return min(times) / 1e9 if times else None
