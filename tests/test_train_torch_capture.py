"""Ray Train v2's TorchTrainer, recorded live (tests/live/workloads/explore9_torch_train.py as it
was before its failing rank waited for Ray to send its events: a run of 2 workers over gloo
fed by Ray Data, then one whose rank 1 raises after the first epoch), held to Ray's State API
dump of the same run (tests/data/train_torch_killed/state_truth.json.gz). Here Train killed
the second run's workers while their training threads were still calling Ray Data's
SplitCoordinator and _StatsActor: the workers' own events of their last second are lost, and
with them the definition and the FINISHED of the calls their threads made then (the
State API lists none of those; their executors' events name them), and the executions of the
calls they ran (poll_status, shutdown, _shutdown_torch: only their caller's FINISHED)."""

from __future__ import annotations

import gzip
import json
from typing import Any

from conftest import DATA
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture

CAPTURE = DATA / "train_torch_killed"


def _truth() -> dict[str, Any]:
    end: dict[str, Any] = json.loads(gzip.decompress(
        (CAPTURE / "state_truth.json.gz").read_bytes()))["phases"]["end"]
    return end


def test_what_the_kills_lost_is_no_gap_and_no_call_cut_by_the_job_end() -> None:
    # with Ray's internals: Ray Data's and Train's own actors are the callees here
    end = _truth()
    result = analyze(read_capture(discover([str(CAPTURE)])), Options(internals=True))
    rows = {(a.task_id, a.attempt): a for a in result.attempts}
    listed = {(t["task_id"], t["attempt_number"]) for t in end["tasks"]}
    assert listed <= rows.keys()  # every call Ray's State API lists
    killed = {a["actor_id"] for a in end["actors"] if a["class_name"] == "RayTrainWorker"
              and a["death_cause"]["actor_died_error_context"]["reason"] == "RAY_KILL"}
    assert len(killed) == 4
    # the calls the State API lacks: each made by a thread of a killed worker (parent: ff x 8
    # and the actor's id), executed, without a final state
    extra = [a for key, a in rows.items() if key not in listed and a.parent_task_id[16:] in killed]
    assert len(extra) == 25 and len(rows) - len(listed) == 26  # and the driver's own task
    assert all(a.status == "UNKNOWN" and a.start_ns is not None for a in extra)
    # the executions the workers' kills lost: only their caller's FINISHED, as in the State API
    no_worker = {(t["task_id"], t["attempt_number"]) for t in end["tasks"]
                 if t["state"] == "FINISHED" and t["worker_pid"] is None}
    assert {key for key, a in rows.items() if a.start_ns is None} == no_worker
    assert len(no_worker) == 12
    cover = result.coverage
    # none of those is a gap, nor a call the job's end cut short: the one left running is
    # the first run's SplitCoordinator.start_epoch, waiting for the killed rank's split; nor
    # the two calls of the killed threads to Train's SynchronizationActor, killed too, that
    # left no attempt at all, only the recorder's submission (failures.lost_unattempted)
    assert (cover.without_execution, cover.without_final_state, cover.tasks,
            cover.complete_tasks) == (0, 0, 251, 251)
    assert [(u.at, u.running, u.queued) for u in cover.unfinished] == []
    assert [a.node.split(".", 1)[1] for a in result.attempts if a.at_job_end] == []
