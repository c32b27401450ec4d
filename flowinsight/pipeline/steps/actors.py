"""Step: the actors of the nodes named so far, from their snapshots and their tasks
(pipeline/actors.py); with `--group-by class`, one per class."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from flowinsight.model.events import ActorUpdate
from flowinsight.pipeline.actors import collect_actors
from flowinsight.pipeline.identity import NodeKey
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Actors, Analysis, need
from flowinsight.pipeline.views import group_by_class
from flowinsight.pipeline.warnings import silent_actors
from flowinsight.result import Actor, NodeKind, is_class_id


def actors(analysis: Analysis) -> Analysis:
    selected = need(analysis.selected, "the selection")
    scan = selected.scan
    namer = need(analysis.namer, "the namer")
    actor_ids = {k.actor_id for k in namer.keys.values() if k.actor_id}
    if namer.classes:  # the keys name classes: their instances are the selection's actors
        actor_ids = {a for a in actor_ids if not is_class_id(a)} | (
            scan.actor_ids & namer.classes.keys())
    updates = analysis.reduced.actor_updates
    window = analysis.options.stamp_window()
    if window is not None:
        updates = _alive_in(updates, actor_ids | scan.actor_ids, window)
    found = collect_actors(updates, (), actor_ids, scan.actor_facts)
    # an actor Ray's task events speak for only outside the --since/--until window had them
    # on: it is not silent (the window only left its records out)
    spoken = (scan.spoken | {t.actor_id for t in selected.outside.values()
                             if t.actor_id and t.attempts}) if selected.outside else scan.spoken
    silent = silent_actors(found, spoken, analysis.reduced.sources)
    if namer.classes:
        found = _class_actors(found, namer)
    return replace(analysis, actors=Actors(found, silent,
                                           sum(scan.bare.get(a.id, 0) for a in silent)))


def _alive_in(updates: Sequence[ActorUpdate], named: set[str],
              window: tuple[float, float]) -> list[ActorUpdate]:
    """The snapshots of the actors a --since/--until window holds: those its tasks name, and
    those alive during it (from their first snapshot to their death, or on), with or without
    a call then; not an actor made and gone wholly before or after it."""
    lo, hi = window
    life: dict[str, tuple[float, float]] = {}
    for up in updates:
        if up.time_s is None:
            life[up.actor_id] = (-math.inf, math.inf)  # no time: kept
            continue
        first, last = life.get(up.actor_id, (math.inf, math.inf))
        life[up.actor_id] = (min(first, up.time_s),
                             up.time_s if up.state == "DEAD" and last == math.inf else last)
    alive = {a for a, (first, last) in life.items() if first <= hi and last >= lo}
    return [up for up in updates if up.actor_id in named or up.actor_id in alive]


def _class_actors(actors: dict[str, Actor], node_of: NodeNamer) -> dict[str, Actor]:
    """With --group-by class, one actor entry per class, named after it."""
    out: dict[str, Actor] = {}
    for key in node_of.keys.values():
        if key.actor_id and key.actor_id not in out:
            members = [a for a in actors.values() if node_of.classes.get(a.id) and
                       group_by_class(NodeKey(NodeKind.ACTOR, a.job_id, a.id, "", ""),
                                      node_of.classes).actor_id == key.actor_id]
            first = members[0] if members else None
            out[key.actor_id] = Actor(key.actor_id, first.class_name if first else key.actor_id,
                                      f"{len(members)} instances" if len(members) > 1 else
                                      (first.actor_name if first else ""), key.job_id,
                                      first.language if first else "", "", False,
                                      first.internal if first else False,
                                      first.class_of if first else "")
    return out
