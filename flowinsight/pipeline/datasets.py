"""Ray Data's plans as the user wrote them: each dataset's operator DAG (Read -> Map -> ...
-> Write) from EXPORT_DATASET_METADATA, with the graph nodes that ran each operator and
their tasks, durations, failures and bytes.

An operator is run by the tasks and actors Ray Data labels with its uuid (`__data_operator_id`:
model.events.TaskOperator; Ray Data's map operators label every task and actor they start), or,
where none is labelled, by tasks named after it (Ray Data's `_map_task` runs as
`task::<operator name>`: identity.renames_by_span), or by the tasks its plan says it ran
though Ray Data neither labels nor names them (an all-to-all operator's shuffle, a limit's
slice: data_stages.py) and by an actor pool whose actors Ray shows as
`MapWorker(<operator name>)` (ray.data._internal.execution.operators.actor_pool_map_operator).
A labelled task whose `task::` span the capture lacks (Ray writes a worker's profile events
last, and loses them when the job ends first) takes its operator's name (name_by_operator).
An operator nothing ran (`Input`, a plan not executed) has no node; nor has one whose name's
tasks the plans gave to operators of other datasets, none to it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from flowinsight.model.events import (
    DatasetEvent,
    FunctionRef,
    DatasetUpdate,
    OperatorEvent,
    OperatorSchema,
    TaskOperator,
    TaskType,
)
from flowinsight.pipeline.identity import renamed, span_name
from flowinsight.pipeline.stats import dist
from flowinsight.pipeline.tasks import Task
from flowinsight.result import (
    Actor,
    Attempt,
    DataFlow,
    Dataset,
    DatasetOp,
    Failure,
    Node,
    NodeKind,
    attempt_fields,
    rows_by,
)

# Later states win among snapshots of one second (DatasetState order of progress).
_STATE_RANK = {"UNKNOWN": 0, "PENDING": 1, "RUNNING": 2, "FINISHED": 3, "FAILED": 3}


def datasets(events: Sequence[DatasetEvent], nodes: Sequence[Node], actors: Sequence[Actor],
             attempts: Sequence[Attempt], flows: Sequence[DataFlow],
             failures: Sequence[Failure],
             operators: Mapping[str, str] | None = None) -> tuple[Dataset, ...]:
    """`operators`: task id -> its operator's uuid for the tasks Ray Data does not label
    (data_stages.operator_stages); they count as labelled."""
    latest: dict[str, DatasetUpdate] = {}
    schemas: dict[str, tuple[tuple[str, str], ...]] = {}
    issues: dict[tuple[str, str], list[str]] = {}
    labelled: dict[str, set[str]] = {}  # operator uuid -> its tasks
    for ev in events:
        if isinstance(ev, TaskOperator):
            labelled.setdefault(ev.operator_uuid, set()).add(ev.task_id)
        elif isinstance(ev, DatasetUpdate):
            old = latest.get(ev.dataset_id)
            if old is None or _rank(ev) >= _rank(old):
                latest[ev.dataset_id] = ev
        elif isinstance(ev, OperatorSchema):
            schemas[ev.operator_uuid] = ev.fields
        elif isinstance(ev, OperatorEvent):
            issues.setdefault((ev.dataset_id, ev.operator_id), []).append(
                f"{ev.event_type}: {ev.message}" if ev.message else ev.event_type)
    if not latest:
        return ()
    for task_id, uuid in (operators or {}).items():
        labelled.setdefault(uuid, set()).add(task_id)
    # names whose tasks the plans gave to their operators (data_stages.py): an operator of
    # such a name that got none ran none (a count Ray answered from the plan's metadata), and
    # the node of its name holds the others' tasks
    assigned = set((operators or {}).values())
    by_plan = {op.name for plan in latest.values() for op in plan.operators
               if op.uuid in assigned}
    pools = {a.id: a.class_name for a in actors}
    node_of_task = dict(attempt_fields(attempts, "task_id", "node")) if labelled else {}
    members: dict[tuple[str, str], tuple[str, ...]] = {}  # (dataset, operator id) -> its nodes
    for dataset_id, plan in latest.items():
        for op in plan.operators:
            own = labelled.get(op.uuid)
            ran = {node_of_task[t] for t in own or () if t in node_of_task}
            by_name = not own and op.name not in by_plan
            members[dataset_id, op.id] = tuple(sorted(
                n.id for n in nodes if (not plan.job_id or n.job_id == plan.job_id)
                and (n.id in ran or (by_name and _runs(n, op.name, pools)))))
    # each node's rows, found in one pass: a plan of many operators on a big table would
    # otherwise read the node column once per operator
    rows = rows_by(attempts, "node", {n for mine in members.values() for n in mine})
    out = []
    for dataset_id in sorted(latest):
        plan = latest[dataset_id]
        ops = []
        for op in plan.operators:
            mine = members[dataset_id, op.id]
            ran_here = [attempts[i] for i in sorted(i for n in mine for i in rows.get(n, ()))]
            ops.append(_op(op.id, op.name, op.state, op.inputs, op.start_s, op.end_s, mine,
                           labelled.get(op.uuid), _pool_setup(mine, nodes, pools), ran_here,
                           flows, failures, schemas.get(op.uuid, ()),
                           tuple(issues.get((dataset_id, op.id), ()))))
        out.append(Dataset(dataset_id, plan.job_id, plan.state, plan.exec_start_s,
                           plan.exec_end_s, tuple(ops)))
    return tuple(out)


def name_by_operator(tasks: dict[str, Task],
                     events: Sequence[DatasetEvent]) -> dict[str, FunctionRef]:
    """Task id -> its function under its operator's name, for each labelled normal task
    without a `task::` span: the name Ray Data runs it under (`.options(name=<operator
    name>)`), as renames_by_span would give it had the span been written. The records are left
    as they are: the namer (naming.py) names the tasks by this."""
    names: dict[str, str] = {}
    for ev in events:
        if isinstance(ev, DatasetUpdate):
            for op in ev.operators:
                if op.uuid and op.name:
                    names[op.uuid] = op.name
    out: dict[str, FunctionRef] = {}
    if not names:
        return out
    for ev in events:
        if not isinstance(ev, TaskOperator) or ev.operator_uuid not in names:
            continue
        task = tasks.get(ev.task_id)
        if task is None or task.task_type is not TaskType.NORMAL or task.function is None \
                or span_name(task):
            continue
        name = names[ev.operator_uuid]
        if name != task.function.name:
            out[ev.task_id] = renamed(task.function, name)
    return out


def _rank(ev: DatasetUpdate) -> tuple[float, int]:
    return (ev.time_s or 0.0, _STATE_RANK.get(ev.state, 0))


def _runs(node: Node, name: str, pools: dict[str, str]) -> bool:
    if not name:
        return False
    if node.kind is NodeKind.FUNCTION:
        return node.name == name
    if node.kind in (NodeKind.ACTOR, NodeKind.METHOD):
        return pools.get(node.actor_id) == f"MapWorker({name})"
    return False


def _pool_setup(mine: tuple[str, ...], nodes: Sequence[Node],
                pools: dict[str, str]) -> set[str]:
    """The nodes of an operator that are its actor pool's setup, not its work: the actors'
    constructors and every method of a `MapWorker(...)` actor but `submit`. Ray Data's
    ActorPoolMapOperator starts each actor (`_MapWorker.__init__`), asks where it runs
    (`get_location`), and gives it the operator's blocks through `submit` only
    (ray.data._internal.execution.operators.actor_pool_map_operator), and counts those as the
    operator's tasks."""
    members = set(mine)
    return {n.id for n in nodes if n.id in members and (
        n.kind is NodeKind.ACTOR or (n.kind is NodeKind.METHOD and n.name != _POOL_WORK
                                     and pools.get(n.actor_id, "").startswith("MapWorker(")))}


_POOL_WORK = "submit"  # the one method of Ray Data's _MapWorker that runs the operator's work


def _op(op_id: str, name: str, state: str, inputs: tuple[str, ...], start_s: float | None,
        end_s: float | None, mine: tuple[str, ...], own: set[str] | None, setup: set[str],
        attempts: Sequence[Attempt], flows: Sequence[DataFlow], failures: Sequence[Failure],
        schema: tuple[tuple[str, str], ...], issues: tuple[str, ...]) -> DatasetOp:
    """`attempts`: those of the operator's nodes (`mine`). `own`: the tasks labelled with the operator's uuid, None where Ray Data labelled none
    (its nodes' tasks are then all the operator's). A node is a name: the operators of the
    same name in several datasets (a plan run once per epoch, a file read twice) share it, and
    only the labels tell their tasks apart. The bytes are counted per node (data flows), so an
    operator whose nodes ran another operator's tasks too has them unknown."""
    members = set(mine)
    tasks: set[str] = set()
    runs = 0
    shared = False
    execs: list[float | None] = []
    if members:
        for a in attempts:
            if own is not None and a.task_id not in own:
                shared = True
                continue
            # an actor pool's setup calls are not the operator's work: its nodes, its
            # failures and its bytes still are
            if a.node not in setup:
                tasks.add(a.task_id)
                runs += 1
                execs.append(a.exec_ms)
    out_flows = [f for f in flows if f.source in members and f.target not in members]
    sized = [f.bytes for f in out_flows if f.bytes is not None]
    return DatasetOp(
        id=op_id, name=name, state=state, inputs=inputs, start_s=start_s, end_s=end_s,
        nodes=mine, tasks=len(tasks), attempts=runs,
        failures=sum(1 for f in failures if f.node in members and f.kind == "task"
                     and (own is None or f.task_id in own)),
        exec_ms=dist(execs), bytes_out=sum(sized) if sized and not shared else None,
        schema=schema, issues=issues)
