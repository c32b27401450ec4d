"""Fixed formatting of sizes, rates and durations, so that output is byte-identical."""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB")


def human_bytes(n: float | None) -> str:
    """Decimal units, three significant digits: 1_000_000 -> "1 MB", 12_500 -> "12.5 kB"."""
    if n is None:
        return "unknown"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.3g} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_rate(bytes_per_s: float | None) -> str:
    return "unknown" if bytes_per_s is None else f"{human_bytes(bytes_per_s)}/s"


def counted(n: int, word: str, plural: str = "") -> str:
    """`n` and `word`, plural unless `n` is 1: "1 call", "3 calls" (`plural` where it is not
    the word and an s: "2 batches")."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


# The JSON document's precision for durations (json_out: milliseconds to 3 decimals, 1 µs)
MS_DECIMALS = 3


def human_ms(ms: float | None) -> str:
    """Three significant digits of the duration as the JSON holds it: rounded to its 1 µs
    first, so that what is drawn from the Result (table, dot, Mermaid) says what is drawn from
    the document (Markdown, the HTML report, check, diff): 15 µs in all, never 15.5 µs in one
    and 15 µs in another."""
    if ms is None:
        return "-"
    ms = round(ms, MS_DECIMALS)
    if ms >= 1000:
        return f"{ms / 1000:.3g} s"
    if ms >= 1:
        return f"{ms:.3g} ms"
    return f"{ms * 1000:.3g} µs"
