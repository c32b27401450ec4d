"""Finding Ray event files under the paths a user gives (schema section 1)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flowinsight.errors import UsageError
from flowinsight.read.opener import is_tar

DEFAULT_SESSION = "/tmp/ray/session_latest"
# ray_events: Ray's event export as `flowinsight collect` writes it (events_<pid>.ndjson)
EVENT_DIRS = ("events", "export_events", "ray_events")
# event_X.log, rotated C++ members event_X.1.log, rotated Python members event_X.log.1; any of
# them gzip- or zstd-compressed by whoever copied them (.gz, .zst)
_EVENT_FILE = re.compile(r"^event_.+?(\.log(\.\d+)?|\.\d+\.log)(\.gz|\.zst)?$"
                         r"|^events_.+\.ndjson(\.gz|\.zst)?$")
SESSION_DIR = re.compile(r"^session_\d{4}-\d\d-\d\d_")
LOOKED_FOR = ("logs/events/event_*.log, logs/export_events/event_*.log or "
              "logs/ray_events/events_*.ndjson")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst")


@dataclass(frozen=True, slots=True)
class Source:
    """One event file: where it is, and how to name it in output (machine-independent)."""

    path: Path
    display: str
    archive: bool = False  # a tar of a session or a logs folder: its members are the files
    problem: str = ""  # why this place could not be read (a directory that cannot be listed)

    def size(self) -> int:
        """Its bytes on disk (0 when it cannot be told)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


def is_event_file(name: str) -> bool:
    return bool(_EVENT_FILE.match(name))


def is_archive(path: Path) -> bool:
    """A tar, by its name or else by its content (a `capture.gz` may well be a tarball)."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES) or is_tar(path)


def discover(args: Sequence[str]) -> list[Source]:
    """All event files under `args` (default: the latest local session), deduplicated, sorted."""
    seen: dict[str, Source] = {}
    real_dirs: dict[Path, str] = {}
    for arg in args or [DEFAULT_SESSION]:
        for source in _discover_one(arg):
            key = _real_path(source.path, real_dirs)
            # one file reached twice: named after the file itself rather than a link to it
            if key not in seen or (seen[key].path.is_symlink() and not source.path.is_symlink()):
                seen[key] = source
    return sorted(seen.values(), key=lambda s: s.display)


def _real_path(path: Path, real_dirs: dict[Path, str]) -> str:
    """os.path.realpath(path), its directory resolved once for all the files in it (a large
    capture has hundreds of files in one directory, and realpath walks every component)."""
    if path.is_symlink():
        # realpath, not Path.resolve(): Python 3.11 raises on a symlink loop
        return os.path.realpath(path)
    directory = real_dirs.get(path.parent)
    if directory is None:
        directory = real_dirs[path.parent] = os.path.realpath(path.parent)
    return os.path.join(directory, path.name)


def _discover_one(arg: str) -> list[Source]:
    root = Path(arg)
    if not root.exists():
        raise UsageError(f"{arg}: no such file or directory")
    label = Path(os.path.realpath(root)).name or arg
    if root.is_file():
        return [Source(root, label, archive=is_archive(root))]
    found: list[Source] = []
    sessions: set[str] = set()
    unlisted: list[OSError] = []
    # followlinks=False: a symlink loop inside a capture cannot trap the walk
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unlisted.append):
        dirnames.sort()
        here = Path(dirpath)
        if here.name not in EVENT_DIRS and here != root:
            continue
        if here == root and here.name not in EVENT_DIRS:
            continue
        # A directory (or a link to one) named like an event file is listed too: reading it
        # fails, and the failure is reported rather than the name silently passed over.
        event_files = [n for n in sorted(filenames + [d for d in dirnames if is_event_file(d)])
                       if is_event_file(n)]
        if event_files and (session := _session_of(here, root)):
            sessions.add(session)
        for name in event_files:
            path = here / name
            rel = path.relative_to(root).as_posix()
            found.append(Source(path, f"{label}/{rel}"))
    for error in unlisted:
        # a directory that may hold event files but cannot be listed is reported, not passed over
        where = Path(str(error.filename))
        if where == root:
            raise UsageError(f"{arg}: cannot be read ({error.strerror or error})")
        if where.name in (*EVENT_DIRS, "logs") or SESSION_DIR.match(where.name):
            found.append(Source(where, f"{label}/{where.relative_to(root).as_posix()}",
                                problem=f"cannot be listed: {error.strerror or error}"))
    if not found:
        raise UsageError(f"{arg}: no Ray event files found (looked for {LOOKED_FOR})")
    if len(sessions) > 1:
        names = ", ".join(sorted(sessions)[:3])
        raise UsageError(
            f"{arg}: holds {len(sessions)} different Ray sessions ({names}...); "
            "pass one session directory (a multi-node capture has one session name on every node)"
        )
    return found


def _session_of(directory: Path, root: Path) -> str:
    """The session directory that holds `directory` (under `root`, or `root` itself), if any."""
    inner = directory.relative_to(root)
    for parent in [inner, *inner.parents]:
        name = Path(os.path.realpath(root / parent)).name
        if SESSION_DIR.match(name):
            return name
    return ""
