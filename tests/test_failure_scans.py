"""A death in a big session costs what the rows it concerns cost: the failure and coverage
passes read the attempt table's columns and make an Attempt only of the rows they need (a
worker's crash note in 1 GB of logs once made every one of 464,129 rows three times: 8.4 s of
analysis against 0.5 s). Held here by counting the rows made, and by the answers equalling
those of the same attempts as a plain list, where every row is an Attempt."""

from __future__ import annotations

from typing import Iterator

import pytest

from flowinsight.model.events import ActorUpdate, FailureNote
from flowinsight.pipeline.coverage import explain
from flowinsight.pipeline.failures import judge
from flowinsight.render.open_runs import as_table
from flowinsight.result import Attempt, AttemptTable, Coverage, Failure

JOB = "01000000"
DRIVER = "ff" * 20 + JOB
ACTOR = "a1" * 12 + JOB
CRASHED = "77" * 28  # the worker whose death the raylet recorded
OTHERS = ["%056x" % (i + 1) for i in range(8)]
S = 1_000_000_000


def task_id(n: int, actor: str = "") -> str:
    return f"{n:016x}{actor or 'ff' * 12 + JOB}"


def rows() -> list[Attempt]:
    """1,000 finished calls on eight workers; on the crashed worker, the actor's creation
    (its execution lost with the process), a call it failed and one left without a state."""
    out = [Attempt(DRIVER, 0, "main", "", "UNKNOWN", "", "", "n1", "", None, None, S, None)]
    for n in range(1, 1001):
        out.append(Attempt(task_id(n), 0, "f", DRIVER, "FINISHED", "", "", "n1",
                           OTHERS[n % 8], 100 + n % 8, n * S, n * S + 1, n * S + 2))
    creation = "f" * 16 + ACTOR
    out += [
        Attempt(creation, 0, ACTOR + ".__init__", DRIVER, "FINISHED", "", "", "n1", "",
                None, 2000 * S, None, 2000 * S + 5),
        Attempt(task_id(1001, ACTOR), 0, ACTOR + ".work", DRIVER, "FAILED", "ACTOR_DIED",
                "The actor died", "n1", CRASHED, 4242, 2001 * S, 2001 * S + 1, 2002 * S),
        Attempt(task_id(1002, ACTOR), 0, ACTOR + ".work", DRIVER, "UNKNOWN", "", "", "n1",
                CRASHED, 4242, 2001 * S, 2001 * S + 2, None),
    ]
    return out


CRASH_NOTE = FailureNote(
    "e1", "RAY_WORKER_FAILURE", "A worker died or was killed while executing a task by an "
    f"unexpected system error. Worker ID: {CRASHED} Worker PID: 4242 Worker exit type: "
    "SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits", "ERROR", "RAYLET", JOB, "n1",
    CRASHED, 7, 2002.5, "", "")
ACTOR_DIED = ActorUpdate(ACTOR[-32:], JOB, "Worker", "", "DEAD", "", 4242, False,
                         "actor_died_error_context:WORKER_DIED", "worker died", 2002.5, "")


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The rows of any AttemptTable made while the test runs."""
    out: list[int] = []
    row = AttemptTable.row
    monkeypatch.setattr(AttemptTable, "row", lambda self, i: out.append(i) or row(self, i))
    yield out


def judged_failures(attempts: list[Attempt] | AttemptTable) -> tuple[list[Failure], object]:
    failed = list(attempts.failed()) if isinstance(attempts, AttemptTable) \
        else [a for a in attempts if a.status == "FAILED"]
    judged = judge(attempts, failed, [ACTOR_DIED], [CRASH_NOTE], [], lambda t: JOB,
                   lambda j: "main", lambda a: True)
    return list(judged.failures), (judged.dead_workers, judged.explained, judged.restarted)


def test_a_crash_makes_only_the_crashed_worker_s_rows(made: list[int]) -> None:
    listed = rows()
    table = as_table(listed)
    made.clear()
    failures, rest = judged_failures(table)
    on_crashed = {i for i, a in enumerate(listed) if a.worker_id == CRASHED}
    failed_rows = {i for i, a in enumerate(listed) if a.status == "FAILED"}
    lacking = {i for i, a in enumerate(listed) if a.status == "UNKNOWN" or a.start_ns is None}
    assert set(made) <= on_crashed | failed_rows | lacking
    assert len(made) < 20  # of 1,004 rows
    assert (failures, rest) == judged_failures(listed)
    assert [(f.kind, f.error_type) for f in failures] == [("task", "ACTOR_DIED")]


def test_coverage_explained_by_a_death_makes_only_the_rows_of_tasks_lacking_something(
        made: list[int]) -> None:
    listed = rows()
    table = as_table(listed)
    # lacking: the driver its final state, the creation its execution, the last call its
    # final state (on the dead worker)
    cover = Coverage(1004, 1001, 0, 0, 2, 1, 0, 0, 0)
    defined = {"main", "f", ACTOR + ".__init__", ACTOR + ".work"}
    failed = frozenset({("f" * 16 + ACTOR, 0)})  # as the failures step explains it
    made.clear()
    got = explain(cover, table, frozenset({CRASHED}), frozenset(), defined, failed)
    lacking_tasks = {a.task_id for a in listed if a.status == "UNKNOWN" or a.start_ns is None}
    assert {listed[i].task_id for i in made} <= lacking_tasks
    assert got == explain(cover, listed, frozenset({CRASHED}), frozenset(), defined, failed)
    # the creation's lost execution and the lost final state of the call on the dead worker
    # are explained, and both tasks complete; the driver's open end, which no death explains,
    # stays a task without a final state
    assert got == Coverage(1004, 1003, 0, 0, 1, 0, 0, 0, 0)
