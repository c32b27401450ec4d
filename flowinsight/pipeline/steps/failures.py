"""Step: the failed attempts judged by their cause (pipeline/failures.py: error, crash,
intended, unknown; docs/failures.md), and the stats of nodes and call flows without the ends
someone intended."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Sequence

from flowinsight.model.ids import driver_task_id, job_of_task
from flowinsight.pipeline.failures import Judged, judge, submitted_jobs
from flowinsight.pipeline.steps.state import Analysis, Judgement, need
from flowinsight.result import Attempt, CallFlow, Failure, Stats, attempt_fields, failed_of


def failures(analysis: Analysis) -> Analysis:
    namer = need(analysis.namer, "the namer")
    jobs_of = need(analysis.facts, "the facts").jobs_of
    swept = need(analysis.swept, "the sweep")
    actors = need(analysis.actors, "the actors").actors
    reduced = analysis.reduced
    attempts = swept.attempts
    every_job = reduced.job_updates if analysis.every_job is None else analysis.every_job
    judged = judge(attempts, attempts.failed(), reduced.actor_updates,
                   submitted_jobs(reduced.failure_notes, every_job, analysis.options.job),
                   reduced.job_updates,
                   lambda t: jobs_of[t] if t in jobs_of else job_of_task(t),
                   lambda job: namer(driver_task_id(job)),
                   lambda actor: actor in actors or not namer.classes, every_job,
                   _raylets_read(analysis), need(analysis.unexecuted, "the unexecuted"),
                   need(analysis.selected, "the selection").scan.bare_calls)
    judged = _in_window(judged, analysis.options.stamp_window())
    node_stats, calls = _without_ends(judged, attempts, swept.node_stats, swept.calls)
    return replace(analysis, judgement=Judgement(judged, node_stats, calls))


def _in_window(judged: Judged, window: tuple[float, float] | None) -> Judged:
    """With --since/--until, the deaths and labels of that window: an attempt's failure comes
    with its task, which the window selected; an actor's death or a process's failure label
    stands alone, and is kept when its time is in the window (or unknown). What they explain
    of the coverage is kept whatever their time."""
    if window is None:
        return judged
    lo, hi = window

    def kept(f: Failure) -> bool:
        return bool(f.task_id) or f.time_s is None or lo <= f.time_s <= hi

    return replace(judged, failures=tuple(f for f in judged.failures if kept(f)),
                   ends=tuple(f for f in judged.ends if kept(f)))


def _raylets_read(analysis: Analysis) -> bool:
    """Whether the capture holds the raylet's event log of every Ray node it knows (one
    `logs/events` folder each; at least one): what its raylets did not record, did not
    happen (failures.restarts_asked)."""
    folders = analysis.account.event_log_folders("RAYLET")
    # the nodes the capture knows: their snapshots, and those its attempts ran on (a copy of
    # one node's logs from a cluster that wrote no EXPORT_NODE still names the others there)
    nodes = {n.node_id for n in analysis.reduced.node_updates}
    nodes.update(need(analysis.swept, "the sweep").attempts.ray_node_ids)
    nodes.discard("")
    return folders > 0 and folders >= len(nodes)


def _without_ends(judged: Judged, attempts: Sequence[Attempt], node_stats: dict[str, Stats],
                  calls: tuple[CallFlow, ...]) -> tuple[dict[str, Stats], tuple[CallFlow, ...]]:
    """The stats' failure counts without the failed attempts that are not failures (an end
    someone intended): the sweep counts every FAILED attempt."""
    if not judged.not_failed:
        return node_stats, calls
    node_of_task = dict(attempt_fields(attempts, "task_id", "node"))
    by_node: Counter[str] = Counter()
    by_edge: Counter[tuple[str, str]] = Counter()
    for a in failed_of(attempts):
        if (a.task_id, a.attempt) in judged.not_failed:
            by_node[a.node] += 1
            by_edge[(node_of_task.get(a.parent_task_id, ""), a.node)] += 1
    node_stats = {n: replace(s, failures=s.failures - by_node[n]) if by_node[n] else s
                  for n, s in node_stats.items()}
    calls = tuple(replace(c, stats=replace(c.stats, failures=c.stats.failures
                                           - by_edge[(c.source, c.target)]))
                  if by_edge[(c.source, c.target)] else c for c in calls)
    return node_stats, calls
