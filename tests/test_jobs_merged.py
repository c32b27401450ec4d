"""A job's record, merged from its driver-job snapshots in one place (pipeline/jobs.py): the
result's Job and the end the timelines close running attempts at agree."""

from __future__ import annotations

from flowinsight.model.events import JobUpdate
from flowinsight.pipeline.jobs import job_end_ms, merged_jobs


def snap(end_ms: int | None, dead: bool, entrypoint: str = "", pid: int | None = None,
         start_ms: int | None = None, job: str = "01000000") -> JobUpdate:
    return JobUpdate(job, entrypoint, pid, start_ms, end_ms, dead, "")


def test_a_dead_snapshot_wins_and_takes_what_it_lacks_from_the_others() -> None:
    # an end said first by a live snapshot, then the driver dead without one: the record is
    # the dead one, with the end the other said
    updates = [snap(None, False, "python app.py", 7, 1000), snap(5000, False), snap(None, True)]
    assert merged_jobs(updates) == {"01000000": snap(5000, True, "python app.py", 7, 1000)}
    assert job_end_ms(updates) == {"01000000": 5000}


def test_the_first_dead_snapshots_end_is_the_jobs_end() -> None:
    updates = [snap(4000, False), snap(6000, True), snap(9000, True), snap(None, False, job="02000000")]
    assert {j: u.end_ms for j, u in merged_jobs(updates).items()} == {
        "01000000": 6000, "02000000": None}
    assert job_end_ms(updates) == {"01000000": 6000}
