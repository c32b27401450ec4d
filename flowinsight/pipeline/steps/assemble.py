"""Step: the core's Result, from what the steps before worked out: the jobs, the nodes (each
with its stats), and the warnings (pipeline/warnings.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from flowinsight.model.events import JobUpdate
from flowinsight.pipeline.facts import TaskFacts
from flowinsight.pipeline.identity import NodeKey, is_undefined
from flowinsight.pipeline.jobs import merged_jobs
from flowinsight.pipeline.internals import compiled_graph_loops, internal_function
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Analysis, need
from flowinsight.pipeline.warnings import (
    capture_warnings,
    events_off,
    orphan_warning,
    window_note,
)
from flowinsight.result import NO_STATS, Actor, Job, Node, NodeKind, Result, Stats


def assemble(analysis: Analysis) -> Analysis:
    reduced, account = analysis.reduced, analysis.account
    namer = need(analysis.namer, "the namer")
    facts = need(analysis.facts, "the facts")
    found = need(analysis.actors, "the actors")
    judgement = need(analysis.judgement, "the failures")
    cover = need(analysis.coverage, "the coverage")
    task_count = need(analysis.selected, "the selection").count
    attempts = need(analysis.attempts, "the coverage's attempts")
    actors = found.actors
    sources = tuple(sorted(reduced.sources))
    objects = bool(reduced.puts or reduced.gets)
    result = Result(
        jobs=_jobs(reduced.job_updates, _view_counts(facts.job_counts, analysis.options.job)),
        nodes=_nodes(namer, actors, facts, judgement.node_stats,
                     compiled_graph_loops(((c.source, c.target) for c in judgement.calls),
                                          namer.keys)),
        actors=tuple(actors[a] for a in sorted(actors)),
        call_flows=judgement.calls,
        data_flows=need(analysis.flows, "the data flows"),
        failure_notes=tuple(reduced.failure_notes),
        read=account,
        tasks=task_count,
        sources=sources,
        has_object_events=objects,
        attempts=attempts,
        failures=judgement.judged.failures,
        ends=judgement.judged.ends,
        coverage=cover,
        critical_paths=need(analysis.critical_paths, "the critical paths"),
        warnings=capture_warnings(cover, objects, account, task_count > 0, found.silent_calls)
        + orphan_warning(analysis.orphans) + events_off(found.silent, sources, task_count)
        + window_note(analysis.options.since_ns, analysis.options.until_ns),
    )
    return replace(analysis, result=result)


def _nodes(node_of: NodeNamer, actors: dict[str, Actor], facts: TaskFacts,
           node_stats: dict[str, Stats], loops: set[str]) -> tuple[Node, ...]:
    keys = dict(node_of.keys)  # the namer's own left as it is
    for actor in actors.values():  # an actor whose creation the capture lacks is still a node
        keys.setdefault(actor.id, NodeKey(NodeKind.ACTOR, actor.job_id, actor.id, "", ""))
    nodes = []
    for nid, key in keys.items():
        owner = actors.get(key.actor_id)
        nodes.append(Node(
            id=nid,
            kind=key.kind,
            name=(owner.class_name if owner else "") if key.kind is NodeKind.ACTOR else key.name,
            module=key.module,
            actor_id=key.actor_id,
            job_id=key.job_id,
            language=facts.languages.get(nid, "") or (owner.language if owner else ""),
            calls=facts.received.get(nid, 0),
            inferred=nid not in facts.defined and key.kind is not NodeKind.DRIVER,
            stats=node_stats.get(nid, NO_STATS),
            internal=nid in loops or (owner.internal if owner else (
                key.kind is NodeKind.FUNCTION and internal_function(key.name, key.module))),
            undefined=is_undefined(key),
        ))
    return tuple(sorted(nodes, key=lambda n: n.id))


def _view_counts(counts: Counter[str], job: str) -> Counter[str]:
    """The tasks of each job; with `--job`, the view's are the job's: its own and those it
    called that Ray put in another job (an actor's), whose job is not in the view
    (job_view.py)."""
    if not job:
        return counts
    job = job.lower()
    return Counter({j: n for j, n in counts.items() if not j}) + Counter(
        {job: sum(n for j, n in counts.items() if j)})


def _jobs(updates: list[JobUpdate], counts: Counter[str]) -> tuple[Job, ...]:
    info = merged_jobs(updates)
    out = []
    for job_id in sorted(set(counts) | set(info)):
        j = info.get(job_id)
        out.append(Job(job_id, j.entrypoint if j else "", j.driver_pid if j else None,
                       j.start_ms if j else None, j.end_ms if j else None, counts[job_id]))
    return tuple(out)
