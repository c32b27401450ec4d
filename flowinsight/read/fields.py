"""Field access that tolerates Ray's mixed spellings (numbers as strings and the reverse)."""

from __future__ import annotations

from typing import Any

from flowinsight.model.ids import normalize_hex


class BadLine(Exception):
    """A line that cannot become an event; `reason` is a short stable code for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a decimal string; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadLine("bad_value", f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadLine("bad_value", f"expected a number, got {value!r}")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return int(float(value))
            except (ValueError, OverflowError):
                pass
    raise BadLine("bad_value", f"expected a number, got {str(value)[:40]!r}")


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


def as_str(value: Any) -> str:
    """A string field; numbers are accepted and spelled out, other types are refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadLine("bad_value", f"expected a string, got {type(value).__name__}")


def as_hex(value: Any) -> str:
    return normalize_hex(as_str(value))


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
