"""What the user asks of the analysis."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Options:
    job: str = ""  # keep only this job (hex)
    since_ns: int | None = None  # keep tasks active at or after this time
    until_ns: int | None = None  # keep tasks active at or before this time
    group_by: str = "instance"  # or "class": actor instances collapsed into their class
    focus: str = ""  # a node (glob on its name or id) and its neighbours
    max_nodes: int = 0  # for drawing: above this, collapse instances into classes, then prune
    internals: bool = False  # keep Ray's internals in the view (else views.hide_internals)
