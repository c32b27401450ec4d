"""Finding Ray event files under the paths a user gives (schema section 1)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flowinsight.errors import UsageError
from flowinsight.read.opener import is_tar, is_zip

DEFAULT_SESSION = "/tmp/ray/session_latest"
# ray_events: Ray's event export as `flowinsight collect` writes it (events_<pid>.ndjson)
EVENT_DIRS = ("events", "export_events", "ray_events")
# event_X.log, rotated C++ members event_X.1.log, rotated Python members event_X.log.1; any of
# them gzip- or zstd-compressed by whoever copied them (.gz, .zst)
# (DOTALL and \Z: a name may hold any character but "/", a newline included)
_EVENT_FILE = re.compile(r"event_.+?(\.log(\.\d+)?|\.\d+\.log)(\.gz|\.zst)?\Z"
                         r"|events_.+\.ndjson(\.gz|\.zst)?\Z", re.DOTALL)
SESSION_DIR = re.compile(r"^session_\d{4}-\d\d-\d\d_")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst")
LOOKED_FOR = ("logs/events/event_*.log, logs/export_events/event_*.log or "
              "logs/ray_events/events_*.ndjson, or an archive "
              f"({', '.join(ARCHIVE_SUFFIXES)}) of them")
MERGE_OPTION = "--merge-sessions"


@dataclass(frozen=True, slots=True)
class Source:
    """One event file: where it is, and how to name it in output (machine-independent)."""

    path: Path
    display: str
    archive: bool = False  # a tar of a session or a logs folder: its members are the files
    problem: str = ""  # why this place could not be read (a directory that cannot be listed)
    session: str = ""  # the session_* directory that holds it, where its path says
    searched: bool = False  # an archive found in a folder (not named by the user)

    def size(self) -> int:
        """Its bytes on disk (0 when it cannot be told)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


def is_event_file(name: str) -> bool:
    return bool(_EVENT_FILE.match(name))


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def is_archive(path: Path) -> bool:
    """A tar, by its name or else by its content (a `capture.gz` may well be a tarball)."""
    return is_archive_name(path.name) or is_tar(path)


def shown(text: str) -> str:
    """A file or member name as output shows it: one line, every character that is not
    printable escaped (a newline as \\n, an undecodable byte kept by the file system's
    surrogateescape as \\xNN), so that the name stays readable, distinct and valid UTF-8."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        code = ord(c)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode, tarfile)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(repr(c)[1:-1])
    return "".join(out)


def discover(args: Sequence[str], merge_sessions: bool = False) -> list[Source]:
    """All event files under `args` (default: the latest local session), deduplicated, sorted.
    One argument that holds files of more than one Ray session is refused unless
    `merge_sessions`; across arguments, the caller decides (one_session: the command line
    does, with the sessions inside archives too, once read)."""
    seen: dict[str, Source] = {}
    real_dirs: dict[Path, str] = {}
    for arg in args or [DEFAULT_SESSION]:
        found = _discover_one(arg)
        if not merge_sessions:
            one_session({s.session: s.display for s in found if s.session})
        for source in found:
            key = _real_path(source.path, real_dirs)
            # one file reached twice: named after the file itself rather than a link to it
            if key not in seen or (seen[key].path.is_symlink() and not source.path.is_symlink()):
                seen[key] = source
    return sorted(seen.values(), key=lambda s: s.display)


def one_session(sessions: dict[str, str]) -> None:
    """Refuse files of different Ray sessions (`sessions`: each name -> a file of it): each run
    of Ray is a session of its own, and the nodes of one run share its name."""
    if len(sessions) > 1:
        named = "; ".join(f"{name} ({where})" for name, where in sorted(sessions.items())[:3])
        raise UsageError(
            f"the input holds {len(sessions)} different Ray sessions: {named}"
            f"{'; ...' if len(sessions) > 3 else ''}. Give one session (a multi-node capture "
            f"has one session name on every node), or {MERGE_OPTION} to analyse them together")


def archive_sessions(sources: Sequence[Source], report_paths: Sequence[str]) -> dict[str, str]:
    """The session_* directories named inside the archives among `sources` (their members'
    display paths, `report_paths`), each -> a member of it."""
    prefixes = tuple(s.display + "/" for s in sources if s.archive)
    found: dict[str, str] = {}
    if not prefixes:
        return found
    for path in report_paths:
        if "session_" in path and path.startswith(prefixes):
            prefix = next(p for p in prefixes if path.startswith(p))
            for part in path[len(prefix):].split("/")[:-1]:
                if SESSION_DIR.match(part):
                    found.setdefault(part, path)
    return found


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
    label = shown(Path(os.path.realpath(root)).name or arg)
    if root.is_file():
        archive = is_archive(root)
        if not archive and is_zip(root):
            # read line by line it would give only skipped binary lines and "no Ray event"
            raise UsageError(f"{arg}: a zip archive, which flowinsight does not read: unzip it "
                             f"and give its folder, or give a tar ({', '.join(ARCHIVE_SUFFIXES)})")
        return [Source(root, label, archive=archive, session=_session_of(root, root))]
    found: list[Source] = []
    unlisted: list[OSError] = []
    # followlinks=False: a symlink loop inside a capture cannot trap the walk
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unlisted.append):
        dirnames.sort()
        here = Path(dirpath)
        # Archives anywhere in the folder (CI artifacts arrive as a session's .tar.gz), by
        # their names: the content of every file of a large tree is not sniffed.
        names = [(n, True) for n in filenames if is_archive_name(n)]
        if here.name in EVENT_DIRS:
            # A directory (or a link to one) named like an event file is listed too: reading
            # it fails, and the failure is reported rather than the name silently passed over.
            names += [(n, False) for n in filenames + [d for d in dirnames if is_event_file(d)]
                      if is_event_file(n)]
        if not names:
            continue
        session = _session_of(here, root)
        for name, archive in sorted(names):
            path = here / name
            rel = "/".join(shown(part) for part in path.relative_to(root).parts)
            found.append(Source(path, f"{label}/{rel}", archive=archive, searched=archive,
                                session="" if archive else session))
    for error in unlisted:
        # a directory that may hold event files but cannot be listed is reported, not passed over
        where = Path(str(error.filename))
        if where == root:
            raise UsageError(f"{arg}: cannot be read ({error.strerror or error})")
        if where.name in (*EVENT_DIRS, "logs") or SESSION_DIR.match(where.name):
            rel = "/".join(shown(part) for part in where.relative_to(root).parts)
            found.append(Source(where, f"{label}/{rel}",
                                problem=f"cannot be listed: {error.strerror or error}"))
    if not found:
        raise UsageError(f"{arg}: no Ray event files found (looked for {LOOKED_FOR})")
    return found


def _session_of(place: Path, root: Path) -> str:
    """The session directory that holds `place` (under `root`, `root` itself, or a directory
    above `root`: `logs/events` given alone is still of its session), if any."""
    inner = place.relative_to(root)
    for parent in [inner, *inner.parents]:
        name = Path(os.path.realpath(root / parent)).name
        if SESSION_DIR.match(name):
            return name
    for above in Path(os.path.realpath(root)).parents:
        if SESSION_DIR.match(above.name):
            return above.name
    return ""
