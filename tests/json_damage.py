"""Damage to a parsed JSON line, for the tests that hold a fast path to the careful one
(test_fast_paths.py: task_line; test_native.py: the C decoder): one value replaced by any JSON
value, or one key removed."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# values a reader meets in real lines, or nearly: ids, statuses, span names, big numbers
LIKELY = ["", "8", "-1", "1e3", " 7 ", "AQAAAA==", "task::f", "task:execute", "NORMAL_TASK",
          "ACTOR_TASK", "DRIVER_TASK", "9" * 25]


def json_values(likely: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON value, small, with strings drawn from `likely` as often as at random."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=12), st.sampled_from(likely))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
        max_leaves=6)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path into `value`."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out += paths(inner, (*prefix, index))
    return out


def damage(obj: Any, data: st.DataObject, values: st.SearchStrategy[Any]) -> bool:
    """Replace one value of `obj` (in place) by one of `values`, or remove one of its keys;
    False when it has nothing to damage."""
    where = paths(obj)
    if not where:
        return False
    path = data.draw(st.sampled_from(where))
    holder = obj
    for step in path[:-1]:
        holder = holder[step]
    if isinstance(holder, dict) and data.draw(st.booleans()):
        del holder[path[-1]]
    else:
        holder[path[-1]] = data.draw(values)
    return True
