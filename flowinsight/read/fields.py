"""Field access that tolerates Ray's mixed spellings (numbers as strings and the reverse)."""

from __future__ import annotations

from typing import Any

from flowinsight.model.ids import checked_b64_id, checked_hex_id

# Integers must fit the signed 64 bits every consumer (and orjson's output) can hold.
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


class BadLine(Exception):
    """A line that cannot become an event; `reason` is a short stable code for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a decimal string; None if absent. It must
    fit in 64 signed bits, as every consumer (and orjson's output) needs."""
    kind = type(value)
    if kind is str:
        try:
            out = int(value)
        except ValueError:
            lenient = _lenient_int(value)
            if lenient is None:
                return None
            out = lenient
    elif kind is int:
        out = value
    elif value is None:
        return None
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise BadLine("bad_value", f"expected a number, got {value!r}")
        out = int(value)
    else:
        raise BadLine("bad_value", f"expected a number, got {str(value)[:40]!r}")
    if not _INT_MIN <= out <= _INT_MAX:
        raise BadLine("bad_value", f"number out of range: {str(value)[:40]}")
    return out


def _lenient_int(value: str) -> int | None:
    """"" is absent; "12.0" and "1e3" are numbers written as floats; anything else is bad."""
    if value == "":
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        raise BadLine("bad_value", f"expected a number, got {value[:40]!r}") from None


def as_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadLine("bad_value", f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError as exc:
            raise BadLine("bad_value", f"expected a number, got {value[:40]!r}") from exc
    else:
        raise BadLine("bad_value", f"expected a number, got {str(value)[:40]!r}")
    if result != result or result in (float("inf"), float("-inf")):
        raise BadLine("bad_value", f"expected a finite number, got {value!r}")
    return result


# The latest time the analysis can count: it counts time in int64 nanoseconds since the epoch
# (as Ray's task events write it), which end in the year 2262. An earlier or later time (a
# negative one, 1e308 seconds) is no time Ray wrote, and would overflow what is worked out from
# it (a failure's key, a job's start shown as a date).
MAX_EPOCH_NS = _INT_MAX


def epoch_int(value: Any, unit_ns: int, name: str = "timestamp") -> int | None:
    """A time since the epoch as an integer count of `unit_ns` nanoseconds (1 for ns, 10**6
    for ms); None if absent; out of 1970 .. 2262 a bad_value."""
    out = as_int(value)
    if out is not None and not 0 <= out <= MAX_EPOCH_NS // unit_ns:
        raise BadLine("bad_value", f"{name} {str(value)[:40]!r} out of range")
    return out


def epoch_float(value: Any, unit_ns: int, name: str = "timestamp") -> float | None:
    """A time since the epoch as a number of `unit_ns` nanoseconds (10**9 for seconds, 10**6
    for ms); None if absent; out of 1970 .. 2262 a bad_value."""
    out = as_float(value)
    if out is not None and not 0 <= out <= MAX_EPOCH_NS / unit_ns:
        raise BadLine("bad_value", f"{name} {str(value)[:40]!r} out of range")
    return out


def as_str(value: Any) -> str:
    """A string field; numbers are accepted and spelled out, other types are refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadLine("bad_value", f"expected a string, got {type(value).__name__}")


def hex_id(value: Any, length: int, name: str, *, required: bool = False) -> str:
    """An id in hex (RAY_EVENT lines) of the length of its kind; "" when absent or nil.

    A malformed id makes the line bad where the id is required; an optional one is dropped.
    """
    out = checked_hex_id(value, length) if type(value) is str else None if value else ""
    if out is None:
        if required:
            raise BadLine("bad_value", f"{name}: not a {length}-char hex id: {str(value)[:60]!r}")
        return ""
    return out


def b64_id(value: Any, length: int, name: str, *, required: bool = False) -> str:
    """An id in base64 (Export API lines), as hex of the length of its kind; see hex_id."""
    out = checked_b64_id(value, length) if type(value) is str else None if value else ""
    if out is None:
        if required:
            raise BadLine("bad_value", f"{name}: not the base64 of a {length // 2}-byte id: "
                                       f"{str(value)[:60]!r}")
        return ""
    return out


def as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise BadLine("bad_value", f"expected an object, got {type(value).__name__}")


def require(value: str, name: str) -> str:
    if not value:
        raise BadLine("missing_field", f"missing {name}")
    return value
