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


# what escaped() writes out: the controls strip_control removes (one character at a time, so
# that an escape sequence shows as `\x1b[31m`), and line breaks and tabs
_ESCAPED = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: str, limit: int = 0) -> str:
    """Text from a log for the terminal, on one line: every control character written out
    (`\\n`, `\\x1b`, `\\u202e`), so that nothing in a name can start a line, move the cursor or
    reorder what follows; cut at `limit` characters (0: never)."""
    def out(match: re.Match[str]) -> str:
        ch = match.group()
        return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")

    line = _ESCAPED.sub(out, text)
    return line if not limit or len(line) <= limit else line[: limit - 1] + "…"


def middle_cut(text: str, width: int) -> str:
    """`text` in at most `width` characters: its start and its end (where a method name or a
    file name is) kept, the middle replaced by `…`."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")
