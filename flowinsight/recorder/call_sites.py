"""Where a task was submitted or an actor created: the user's frames of the Python stack at the
`.remote()` call. Ray's, flowinsight's and the standard library's frames are left out (a
package installed inside the standard library's folder, in a `site-packages` below it, is kept).

A stack is interned: the first time a stack (its user frames' code objects and lines) is seen in
a process, it gets an id (a digest of its text, the same in every process) and one `call_site`
event is written; every submission from it then carries only the id. A loop submitting 10,000
tasks from one line costs one `call_site` line and a dict lookup per submission.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
import threading
from types import CodeType, FrameType

from flowinsight.recorder.events import CallSite, Frame

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # flowinsight/
# The innermost user frames kept of a deep stack (a recursion): a call site is for reading
MAX_FRAMES = 64
# Stacks remembered per process; past this many, a new stack's site is worked out every time
MAX_STACKS = 1 << 16


def _folder(path: str | None) -> str:
    return os.path.join(os.path.realpath(path), "") if path else ""


def _skipped_folders() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folders whose frames are dropped, folders inside them whose frames are kept)."""
    dropped = {_folder(_HERE), *(_folder(sysconfig.get_paths().get(k)) for k in
                                 ("stdlib", "platstdlib"))}
    ray = sys.modules.get("ray")
    ray_file = getattr(ray, "__file__", None)
    if ray_file:
        dropped.add(_folder(os.path.dirname(ray_file)))
    dropped.discard("")
    kept = ("/site-packages/", "/dist-packages/")
    return tuple(sorted(dropped, key=lambda d: (-len(d), d))), kept


def _qualified_name(code: CodeType) -> str:
    return str(getattr(code, "co_qualname", code.co_name))  # co_qualname: Python 3.11+


class CallSites:
    """Per process: the verdict on each code object, and the ids of the stacks seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dropped: tuple[str, ...] | None = None
        self._kept_inside: tuple[str, ...] = ()
        # id(code) -> (the code, kept, file, qualified name); the code is held so that its id
        # is never reused by another code object
        self._codes: dict[int, tuple[CodeType, bool, str, str]] = {}
        # ((id(code), f_lasti), ...) of a stack's user frames, innermost first -> its site
        self._stacks: dict[tuple[tuple[int, int], ...], CallSite] = {}

    def _classify(self, code: CodeType) -> tuple[CodeType, bool, str, str]:
        if self._dropped is None:
            self._dropped, self._kept_inside = _skipped_folders()
        path = code.co_filename
        if path.startswith("<"):
            kept = not path.startswith("<frozen")  # <stdin>, <string>: the user's
        else:
            kept = self._kept(os.path.realpath(path))
        entry = (code, kept, path, _qualified_name(code))
        self._codes[id(code)] = entry
        return entry

    def _kept(self, real: str) -> bool:
        assert self._dropped is not None
        for folder in self._dropped:  # longest first: ray's folder inside site-packages
            if real.startswith(folder):
                # a package installed below the standard library's folder is not the library
                return any(k in real[len(folder) - 1:] for k in self._kept_inside)
        return True

    def here(self, skip: int = 1) -> CallSite | None:
        """The site of the caller's caller's stack (`skip` frames above this call left out),
        or None when it holds no user frame. A stack is keyed by its user frames' code objects
        and instruction offsets (f_lasti: cheap, where f_lineno decodes the line table); lines
        are worked out only for a stack not seen before."""
        frame: FrameType | None = sys._getframe(skip + 1)
        codes = self._codes
        key: list[tuple[int, int]] = []
        kept: list[FrameType] = []
        while frame is not None:
            code = frame.f_code
            entry = codes.get(id(code))
            if entry is None or entry[0] is not code:
                with self._lock:
                    entry = self._classify(code)
            if entry[1]:
                key.append((id(code), frame.f_lasti))
                kept.append(frame)
                if len(kept) == MAX_FRAMES:
                    break
            frame = frame.f_back
        if not key:
            return None
        stack = tuple(key)
        site = self._stacks.get(stack)
        if site is None:
            frames = tuple(Frame(codes[id(f.f_code)][2], f.f_lineno or 0,
                                 codes[id(f.f_code)][3]) for f in reversed(kept))
            site = CallSite(site_id(frames), frames)
            if len(self._stacks) < MAX_STACKS:
                with self._lock:
                    self._stacks[stack] = site
        return site


def site_id(frames: tuple[Frame, ...]) -> str:
    """16 hex digits of a digest of the frames' text: the same stack, the same id anywhere."""
    text = "\n".join(f"{f.file}\0{f.line}\0{f.function}" for f in frames)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


CALL_SITES = CallSites()
