"""Readable names for nodes: the class, the actor's own name where it has one, and a short id
only where it is needed to tell instances of one class apart. Plain text: each renderer
escapes for its own format."""

from __future__ import annotations

from collections import Counter

from flowinsight.model.ids import short
from flowinsight.result import Node, NodeKind, Result, is_class_id


class Labels:
    def __init__(self, result: Result) -> None:
        # Ray's internals taken out of the view are named too: the JSON (and the report's
        # tables) still list them
        actors = (*result.actors, *result.hidden.actors)
        self.nodes = {n.id: n for n in (*result.nodes, *result.hidden.nodes)}
        self.actors = {a.id: a for a in actors}
        unnamed = Counter(a.class_name for a in actors
                          if not a.actor_name and not is_class_id(a.id))
        self._actor: dict[str, str] = {}
        for a in actors:
            if is_class_id(a.id):  # --group-by class: one node per class
                self._actor[a.id] = a.class_name + (f" ({a.actor_name})" if a.actor_name else "")
            elif a.actor_name:
                self._actor[a.id] = f"{a.class_name} '{a.actor_name}'"
            elif unnamed[a.class_name] > 1:
                self._actor[a.id] = f"{a.class_name} #{short(a.id)}"
            else:
                self._actor[a.id] = a.class_name
        # the suffix tells drivers and functions of several jobs apart; an actor is named by
        # itself (another job's actor called from a `--job` view is no second job of the view)
        self.multi_job = len({n.job_id for n in result.nodes
                              if n.kind in (NodeKind.DRIVER, NodeKind.FUNCTION)}) > 1

    def actor(self, actor_id: str) -> str:
        return self._actor.get(actor_id, f"actor #{short(actor_id)}")

    def node(self, node_id: str) -> str:
        """The full label of a node, understandable on its own (tables, edges, Mermaid)."""
        node = self.nodes.get(node_id)
        if node is None:
            return node_id
        if node.kind is NodeKind.METHOD:
            return f"{self.actor(node.actor_id)}.{node.name}"
        if node.kind is NodeKind.ACTOR:
            return self.actor(node.actor_id)
        return self.short(node)

    def via(self, node_ids: tuple[str, ...]) -> str:
        """"via TrainController" for a call flow drawn through Ray's hidden internals (the
        classes of the hidden actors, the hidden functions' names, a hidden method of a shown
        actor as `Class.method`; "" for a recorded call)."""
        names: list[str] = []
        for node_id in node_ids:
            node = self.nodes.get(node_id)
            actor = self.actors.get(node.actor_id) if node is not None else None
            name = (actor.class_of or actor.class_name) if actor is not None else \
                node.name if node is not None else node_id
            if node is not None and node.kind is NodeKind.METHOD and actor is not None \
                    and not actor.internal:  # a hidden method of the user's actor: its loop
                name = f"{name}.{node.name}"  # (a compiled graph's `Step.__ray_call__`)
            if name not in names:
                names.append(name)
        return f"via {', '.join(names)}" if names else ""

    def compact(self, node_id: str) -> str:
        """A shorter full label, for narrow tables: an actor the program named goes by its
        name alone (`sink.put_packet` for `RayTask 'sink'.put_packet`)."""
        node = self.nodes.get(node_id)
        if node is None or node.kind not in (NodeKind.METHOD, NodeKind.ACTOR):
            return self.node(node_id)
        actor = self.actors.get(node.actor_id)
        who = actor.actor_name if actor and actor.actor_name and not is_class_id(
            actor.id) else self.actor(node.actor_id)
        return f"{who}.{node.name}" if node.kind is NodeKind.METHOD else who

    def short(self, node: Node) -> str:
        """The label inside its context: a method within its actor's box, a function alone."""
        if node.kind is NodeKind.METHOD:
            return node.name
        if node.kind is NodeKind.ACTOR:
            return self.actor(node.actor_id)
        if node.kind is NodeKind.DRIVER:
            return f"main (job {node.job_id})" if self.multi_job else "main"
        suffix = f" (job {node.job_id})" if self.multi_job else ""
        return f"{node.name}{suffix}"
