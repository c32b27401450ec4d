"""The executions an actor's kill lost (pipeline/failures.py lost_to_kill): the GCS records the
actor DEAD, then has its worker killed by force, which sends none of the task events it holds,
so the calls that ended in the second before have the caller's FINISHED and no execution. On
hand-made events whose texts and reasons are Ray's own; the same on a real capture in
tests/test_rllib_capture.py."""

from __future__ import annotations

import pytest

from flowinsight.model.events import ActorUpdate, JobUpdate
from flowinsight.pipeline.failures import judge
from flowinsight.render.open_runs import as_table
from flowinsight.result import NO_NS, Attempt, AttemptTable

JOB = "01000000"
KILLED = "a1" * 12 + JOB
OTHER = "b2" * 12 + JOB
S = 1_000_000_000  # ns


def call(n: int, actor: str, end_s: float | None, ran: bool = False) -> Attempt:
    """A FINISHED call of `actor` ending at end_s, its execution recorded or not."""
    end = None if end_s is None else int(end_s * S)
    return Attempt(f"{n:016x}{actor}", 0, f"{actor}.work", "ff" * 20 + JOB,
                   "FINISHED" if end is not None else "UNKNOWN", "", "", "", "",
                   None, None, end - S // 100 if ran and end else None, end)


def death(actor: str, reason: str, cause: str, t: float = 10.0) -> ActorUpdate:
    return ActorUpdate(actor, JOB, "Worker", "", "DEAD", "", 7, False, cause, reason, t, "")


def explained(attempts: list[Attempt], updates: list[ActorUpdate]) -> list[int]:
    """The numbers (the first 16 hex of the task id) of the calls whose lack is explained."""
    judged = judge(attempts, [], updates, [], [], lambda t: JOB, lambda j: "main",
                   lambda a: True)
    assert not judged.failures  # a kill is an intended end
    return sorted(int(task[:16], 16) for task, _ in judged.explained)


RAY_KILL = ("actor_died_error_context:RAY_KILL",
            "The actor is dead because it was killed by `ray.kill`.")


def test_the_calls_of_the_last_second_before_ray_kill() -> None:
    calls = [call(1, KILLED, 9.9), call(2, KILLED, 8.5), call(3, KILLED, 8.0),
             call(4, KILLED, 7.2), call(5, KILLED, 9.95, ran=True), call(6, OTHER, 9.9),
             call(7, KILLED, None), call(8, KILLED, 10.4)]
    # the death's second is 10: a call that ended after 8 s may have had its events still in
    # the worker (1 s report interval, 1 s for the whole seconds); one that ran has them; the
    # other actor was not killed; a call without an end has no final state to explain
    assert explained(calls, [death(KILLED, *RAY_KILL)]) == [1, 2, 8]


def test_every_kill_the_gcs_carries_out() -> None:
    calls = [call(1, KILLED, 9.9)]
    for reason, cause in [
            RAY_KILL,
            ("actor_died_error_context:OWNER_DIED",
             "The actor is dead because its owner has died. Owner Id: 1 Owner Ip address: "
             "127.0.0.1 Owner worker exit type: INTENDED_USER_EXIT Worker exit detail: x"),
            ("actor_died_error_context:REF_DELETED",
             "The actor is dead because all references to the actor were removed including "
             "lineage ref count."),
            ("actor_died_error_context:OUT_OF_SCOPE",
             "The actor is dead because all references to the actor were removed."),
            # Ray without the reason: the GCS's text for ray.kill
            ("actor_died_error_context",
             "The actor is dead because it was killed by `ray.kill`.")]:
        assert explained(calls, [death(KILLED, reason, cause)]) == [1], reason


def test_an_exit_of_its_own_sends_its_events() -> None:
    """exit_actor() and __ray_terminate__ exit gracefully: the worker flushes its task
    events first (CoreWorkerShutdownExecutor::ExecuteGracefulShutdown), nothing is lost."""
    cause = ("The actor is dead because its worker process has died. Worker exit type: "
             "INTENDED_USER_EXIT Worker exit detail: Worker exits by an user request.")
    assert explained([call(1, KILLED, 9.9)],
                     [death(KILLED, "actor_died_error_context:WORKER_DIED", cause)]) == []


def made_by(n: int, caller: str, actor: str, end_s: float) -> Attempt:
    """A call of `actor` made by a thread of `caller` (Ray's parent id for a call an actor's
    thread makes outside any task: ff x 8 then the actor's id) that ran (its execution span)
    and has no final state."""
    end = int(end_s * S)
    return Attempt(f"{n:016x}{actor}", 0, f"{actor}.get", "ff" * 8 + caller, "UNKNOWN", "", "",
                   "", "", None, end - S // 2, end - S // 100, end)


def test_the_final_states_its_calls_lost_when_the_caller_was_killed() -> None:
    """The caller (the owner) records a call's FINISHED: killed, it loses those of the calls
    it made in its last second, while their executor's RUNNING and span come."""
    calls = [made_by(1, KILLED, OTHER, 9.9), made_by(2, KILLED, OTHER, 7.5),
             made_by(3, OTHER, KILLED, 9.9)]
    # the second ended before the last second; the third's caller was not killed (its
    # executor was: a FINISHED would have come from the caller)
    assert explained(calls, [death(KILLED, *RAY_KILL)]) == [1]


def test_on_the_pipeline_s_table_only_the_rows_lacking_something_are_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A big session has millions of attempts and a kill or two: the table's rows that have
    both an execution and a final state are not made (AttemptTable.lacking), and the answer
    is the rows' own."""
    calls = [call(1, KILLED, 9.9), call(2, KILLED, 8.5), call(5, KILLED, 9.95, ran=True),
             call(6, OTHER, 9.9), call(7, KILLED, None), call(8, KILLED, 10.4)]
    table = as_table(calls)
    assert [a.task_id for a in table.lacking()] == [
        a.task_id for a in calls if a.start_ns is None or a.status == "UNKNOWN"]
    made: list[int] = []
    row = AttemptTable.row
    monkeypatch.setattr(AttemptTable, "row", lambda self, i: made.append(i) or row(self, i))
    judged = judge(table, [], [death(KILLED, *RAY_KILL)], [], [], lambda t: JOB,
                   lambda j: "main", lambda a: True)
    assert sorted(int(task[:16], 16) for task, _ in judged.explained) == [1, 2, 8]
    assert 2 not in made  # call 5 ran and finished: never made


def test_no_start_is_found_only_at_a_row_s_own_bytes() -> None:
    """NO_NS (-1) is eight 0xff bytes: two neighbours' bytes can hold them across their
    boundary (-256 ends with seven, 255 begins with one), which is no row without a start."""
    table = AttemptTable(["a", "b", "c"], [0, 0, 0], ["n"] * 3, [""] * 3, bytes(3), {},
                         [""] * 3, [""] * 3, [None] * 3, [1] * 3, [-256, 255, NO_NS], [2] * 3)
    assert [a.task_id for a in table.lacking()] == ["c"]


def running(n: int, caller: str, actor: str, start_s: float) -> Attempt:
    """A call of `actor` made by a thread of `caller` that started at start_s and has neither
    an execution end nor a final state."""
    return Attempt(f"{n:016x}{actor}", 0, f"{actor}.start_epoch", "ff" * 8 + caller, "UNKNOWN",
                   "", "", "", "", None, int(start_s * S) - S // 100, int(start_s * S), None)


OWNER_DIED = ("actor_died_error_context:OWNER_DIED",
              "The actor is dead because its owner has died. Owner Id: 1 Owner Ip address: "
              "127.0.0.1 Owner worker exit type: INTENDED_USER_EXIT Worker exit detail: x")


def test_a_call_still_running_when_its_actor_and_its_caller_were_killed() -> None:
    """Train's rank 0 waits in the SplitCoordinator's start_epoch (call 1, from 3 s) for the
    rank that raised: the worker is killed at 6 s, the coordinator with its owner at 13 s,
    mid-call. The call never ends, and its caller, which would record its failure, was gone:
    nothing is missing from the capture (the GCS marks it FAILED in its own store only)."""
    third = "c3" * 12 + JOB
    deaths = [death(KILLED, *RAY_KILL, t=6.0), death(OTHER, *OWNER_DIED, t=13.0),
              death(third, *RAY_KILL, t=20.0)]
    calls = [running(1, KILLED, OTHER, 3.0),
             # the caller killed 7 s after the coordinator: it had recorded the failure
             running(2, third, OTHER, 3.0),
             # its actor killed, its caller (the driver's thread, never killed) alive
             running(3, "d4" * 12 + JOB, OTHER, 3.0),
             # its actor never killed: it ran on, to its job's end
             running(4, KILLED, "e5" * 12 + JOB, 3.0)]
    assert explained(calls, deaths) == [1]


def test_a_call_its_actor_s_death_at_the_job_s_end_cut_short_is_the_job_s() -> None:
    """The same call, its coordinator gone when the driver ended (its owners dying with the
    job): the job's end cut it short (capture_end tells it so: `at_job_end`), not the kill."""
    deaths = [death(KILLED, *RAY_KILL, t=6.0), death(OTHER, *OWNER_DIED, t=13.0)]
    job = JobUpdate(JOB, "python main.py", 7, 1_000, 13_400, True, "")
    judged = judge([running(1, KILLED, OTHER, 3.0)], [], deaths, [], [job], lambda t: JOB,
                   lambda j: "main", lambda a: True)
    assert not judged.failures and judged.explained == frozenset()


def test_calls_that_left_no_attempt_made_and_received_by_killed_actors() -> None:
    """serve.shutdown kills Serve's controller right after its last health checks of the
    proxy, and the proxy with it: the calls left only the recorder's submission (the caller
    held their definition, the callee their RUNNING). Counted when both ends were killed
    within a report interval (and the slack) after the submission."""
    third = "c3" * 12 + JOB
    deaths = [death(KILLED, *RAY_KILL, t=10.0), death(OTHER, *RAY_KILL, t=10.0)]

    def bare(n: int, caller: str, actor: str, submit_s: float) -> tuple[str, str, float]:
        return f"{n:016x}{actor}", "ff" * 8 + caller, submit_s * 1000

    calls = [bare(1, KILLED, OTHER, 9.5), bare(2, KILLED, OTHER, 8.5),
             # submitted before the last second of either: their events had been sent
             bare(3, KILLED, OTHER, 7.5), bare(4, OTHER, KILLED, 6.0),
             # its actor alive: it would have recorded the call's execution
             bare(5, KILLED, third, 9.5),
             # its caller alive: it would have recorded the definition
             bare(6, third, OTHER, 9.5)]
    judged = judge([], [], deaths, [], [], lambda t: JOB, lambda j: "main", lambda a: True,
                   bare_calls=calls)
    assert judged.lost_calls == 2
