"""What the user asks of the analysis."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Ray stamps an actor's state changes and a failure label in whole seconds
STAMP_SLACK_S = 1.0


@dataclass(frozen=True, slots=True)
class Options:
    job: str = ""  # keep only this job (hex)
    since_ns: int | None = None  # keep tasks active at or after this time
    until_ns: int | None = None  # keep tasks active at or before this time
    group_by: str = "instance"  # or "class": actor instances collapsed into their class
    focus: str = ""  # a node (glob on its name or id) and its neighbours
    max_nodes: int = 0  # for drawing: above this, collapse instances into classes, then prune
    internals: bool = False  # keep Ray's internals in the view (else views.hide_internals)

    def stamp_window(self) -> tuple[float, float] | None:
        """The --since/--until window in seconds, widened by STAMP_SLACK_S each side for
        what Ray stamps in whole seconds (an actor's death, a failure label); None without
        one."""
        if self.since_ns is None and self.until_ns is None:
            return None
        return (-math.inf if self.since_ns is None else self.since_ns / 1e9 - STAMP_SLACK_S,
                math.inf if self.until_ns is None else self.until_ns / 1e9 + STAMP_SLACK_S)
