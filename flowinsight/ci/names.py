"""Names for the nodes of a graph document.

A *label* is what `flowinsight/labels.py` shows for the same node (`RayTask 'source'.put_packet`,
`Stage #8763c1.put_packet`, `main`, `run_code_task`): rule patterns are matched against it.

A *key* identifies a node across two runs, whose actor ids differ: an actor is its user-given
name with its class (`RayTask 'source'`), else its class alone (`Stage`); a method is its
actor's key and the method (`Stage.put_packet`); a function or the driver is its id
(`function`, `main`, with `@<job>` when the capture held several jobs). Unnamed
instances of one class share a key: check and diff aggregate them and say so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flowinsight.model.ids import short
from flowinsight.result import NodeKind


@dataclass(frozen=True, slots=True)
class ActorInfo:
    id: str
    class_name: str
    actor_name: str
    job_id: str


class Namer:
    """Mirrors `render.labels.Labels`, from a document instead of a Result."""

    def __init__(self, actors: list[ActorInfo], job_ids: set[str]) -> None:
        self.actors = {a.id: a for a in actors}
        self.unnamed = Counter(a.class_name for a in actors if not a.actor_name)
        self.multi_job = len(job_ids) > 1

    def actor_label(self, actor_id: str) -> str:
        a = self.actors.get(actor_id)
        if a is None or not a.class_name:
            return f"actor #{short(actor_id)}"
        if a.actor_name:
            return f"{a.class_name} '{a.actor_name}'"
        if self.unnamed[a.class_name] > 1:
            return f"{a.class_name} #{short(a.id)}"
        return a.class_name

    def actor_key(self, actor_id: str) -> str:
        a = self.actors.get(actor_id)
        if a is None or not a.class_name:
            return f"actor #{short(actor_id)}"
        return f"{a.class_name} '{a.actor_name}'" if a.actor_name else a.class_name

    def shared_key(self, actor_id: str) -> bool:
        """Whether this actor's key is shared with other unnamed instances of its class."""
        a = self.actors.get(actor_id)
        return a is not None and bool(a.class_name) and not a.actor_name and (
            self.unnamed[a.class_name] > 1)

    def label(self, kind: NodeKind, node_id: str, name: str, actor_id: str, job_id: str) -> str:
        if kind is NodeKind.METHOD:
            return f"{self.actor_label(actor_id)}.{name}"
        if kind is NodeKind.ACTOR:
            return self.actor_label(actor_id)
        suffix = f" (job {job_id})" if self.multi_job else ""
        return f"{'main' if kind is NodeKind.DRIVER else name}{suffix}"

    def key(self, kind: NodeKind, node_id: str, name: str, actor_id: str) -> str:
        if kind is NodeKind.METHOD:
            return f"{self.actor_key(actor_id)}.{name}"
        if kind is NodeKind.ACTOR:
            return self.actor_key(actor_id)
        return node_id
