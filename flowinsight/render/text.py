"""Making strings from logs safe: terminal control characters out, and one-line forms."""

from __future__ import annotations

import re

# C0/C1 controls and DEL; \n and \t are handled by the callers that allow them. Also the bidi
# embeddings, overrides and isolates (they reorder the text around them on screen) and the
# noncharacters U+FFFE/U+FFFF (not allowed in XML, so not in SVG).
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and control characters (ANSI colour codes included)."""
    return _CONTROL.sub("", text)


def one_line(text: str, limit: int = 200) -> str:
    """The first line of a message, without control characters, cut at `limit` characters."""
    first = strip_control(text).strip().split("\n", 1)[0].replace("\t", " ")
    return first if len(first) <= limit else first[: limit - 1] + "…"
