"""Finding Ray event files under the paths a user gives (schema section 1)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flowinsight.errors import UsageError

DEFAULT_SESSION = "/tmp/ray/session_latest"
EVENT_DIRS = ("events", "export_events")
# event_X.log, rotated C++ members event_X.1.log, rotated Python members event_X.log.1
_EVENT_FILE = re.compile(r"^event_.+?\.log(\.\d+)?$|^event_.+?\.\d+\.log$")
_SESSION_DIR = re.compile(r"^session_\d{4}-\d\d-\d\d_")
LOOKED_FOR = "logs/events/event_*.log or logs/export_events/event_*.log"


@dataclass(frozen=True, slots=True)
class Source:
    """One event file: where it is, and how to name it in output (machine-independent)."""

    path: Path
    display: str


def is_event_file(name: str) -> bool:
    return bool(_EVENT_FILE.match(name))


def discover(args: Sequence[str]) -> list[Source]:
    """All event files under `args` (default: the latest local session), deduplicated, sorted."""
    seen: dict[Path, Source] = {}
    for arg in args or [DEFAULT_SESSION]:
        for source in _discover_one(arg):
            seen.setdefault(source.path.resolve(), source)
    return sorted(seen.values(), key=lambda s: s.display)


def _discover_one(arg: str) -> list[Source]:
    root = Path(arg)
    if not root.exists():
        raise UsageError(f"{arg}: no such file or directory")
    label = root.resolve().name or arg
    if root.is_file():
        return [Source(root, label)]
    found: list[Source] = []
    sessions: set[str] = set()
    # followlinks=False: a symlink loop inside a capture cannot trap the walk
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        dirnames.sort()
        here = Path(dirpath)
        if here.name not in EVENT_DIRS and here != root:
            continue
        if here == root and here.name not in EVENT_DIRS:
            continue
        for name in sorted(filenames):
            if is_event_file(name):
                path = here / name
                rel = path.relative_to(root).as_posix()
                found.append(Source(path, f"{label}/{rel}"))
                session = _session_of(path, root)
                if session:
                    sessions.add(session)
    if not found:
        raise UsageError(f"{arg}: no Ray event files found (looked for {LOOKED_FOR})")
    if len(sessions) > 1:
        names = ", ".join(sorted(sessions)[:3])
        raise UsageError(
            f"{arg}: holds {len(sessions)} different Ray sessions ({names}...); "
            "pass one session directory (a multi-node capture has one session name on every node)"
        )
    return found


def _session_of(path: Path, root: Path) -> str:
    for parent in [*path.relative_to(root).parents, Path(".")]:
        name = (root / parent).resolve().name
        if _SESSION_DIR.match(name):
            return name
    return ""
