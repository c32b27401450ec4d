"""The readers' fast paths give exactly what the careful paths give.

`task_line` decodes the usual shape of an EXPORT_TASK line with msgspec and hands anything
unusual to the careful reader. Held here: it accepts every real line of the samples,
and for lines damaged at random (a field replaced by any JSON value, or removed) it either
steps aside or returns the very event the careful reader returns.
"""

from __future__ import annotations

import copy
import json
import tarfile
from functools import cache
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CAPTURES, SAMPLES, sample
from json_damage import LIKELY, damage
from json_damage import paths as damage_paths
from json_damage import json_values as damage_values
from flowinsight.model.events import TaskType
from flowinsight.model.ids import (
    actor_of_task,
    infer_task_type,
    is_actor_creation_task,
    is_driver_task,
)
from flowinsight.read.export_events import parse_export_event
from flowinsight.read.fields import BadLine
from flowinsight.read.task_lines import task_line


@cache
def task_objects() -> tuple[dict[str, Any], ...]:
    lines: list[bytes] = []
    for name in CAPTURES:
        for path in sorted(sample(name).rglob("event_EXPORT_TASK*")):
            lines += path.read_bytes().splitlines()
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        for member in tar.getmembers():
            if "EXPORT_TASK" in member.name and member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                lines += handle.read().splitlines()[:300]
    return tuple(orjson.loads(line) for line in lines if line.strip())


def careful(obj: dict[str, Any]) -> object:
    return outcome(parse_export_event, obj)


def fast(obj: dict[str, Any]) -> object:
    """What task_line makes of the object's line: its event, or None when it steps aside."""
    read = task_line(json.dumps(obj).encode())  # (orjson.dumps refuses ints beyond 64 bits)
    if read is None:
        return None
    assert read[0] == obj.get("event_id", obj.get("eventId"))
    return read[1]


def outcome(parse: Any, obj: dict[str, Any]) -> object:
    try:
        return parse(obj)
    except BadLine as bad:
        return f"bad:{bad.reason}"
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
        return f"error:{type(exc).__name__}"


def test_every_real_task_line_takes_the_fast_path_and_gives_the_careful_event() -> None:
    objects = task_objects()
    assert len(objects) > 1000
    for obj in objects:
        read = fast(obj)
        assert read is not None, obj
        assert read == careful(obj)


json_values = damage_values(LIKELY)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_task_line_is_read_alike_or_left_to_the_careful_path(data: st.DataObject) -> None:
    objects = task_objects()
    obj = copy.deepcopy(objects[data.draw(st.integers(0, len(objects) - 1))])
    for _ in range(data.draw(st.integers(1, 3))):
        damage(obj, data, json_values)
    read = fast(obj)
    assert read is None or read == careful(obj)


@given(st.text(alphabet="0123456789abcdefF", min_size=40, max_size=50) | st.sampled_from(
    ["f" * 48, "f" * 40 + "01000000", "f" * 16 + "ab" * 12 + "01000000",
     "12" * 8 + "f" * 24 + "01000000", "12" * 8 + "ab" * 12 + "01000000"]))
def test_infer_task_type_agrees_with_the_id_layout_helpers(task_id: str) -> None:
    if is_driver_task(task_id):
        expected = TaskType.DRIVER
    elif is_actor_creation_task(task_id):
        expected = TaskType.ACTOR_CREATION
    elif actor_of_task(task_id):
        expected = TaskType.ACTOR
    else:
        expected = TaskType.NORMAL
    assert infer_task_type(task_id) is expected


# Spellings of numbers and ids the lax decoder meets: the careful reader's as_int reads some
# ("12", "1e3", "1.0"), refuses others ("null", " 7", "0x10", "1_0"); task_line must read each
# as it does, or step aside
SPELLINGS = ["12", "1e3", "1.0", "1.5", "-0", "-0.0", "1E3", "null", "", " 7", "7 ", "+7",
             "0x10", "1_0", "\u0661", "9" * 19, "9" * 25, "1e18", "NaN", "true", 12, 1.0, 1.5,
             -1, 2**63, 2**64, None, True, [], {}, "AQAAAA==", "//////////////////////////////8=",
             "/" * 32, "A" * 32, "A" * 31 + "=", "A" * 32 + "==",
             "QG93x71PkDORmRvBC60oGE0tBUUBAAAA==", "QG93x71PkDORmRvBC60oGE0tBUUBAAA="]


def test_numbers_and_ids_in_every_spelling_are_read_alike_or_left_to_the_careful_path() -> None:
    objects = [obj for obj in task_objects()
               if "profile_events" in obj["event_data"] or "task_info" in obj["event_data"]]
    shapes: dict[tuple[str, ...], dict[str, Any]] = {}
    for obj in sorted(objects, key=lambda o: -len(json.dumps(o))):  # the shortest of each shape
        shapes[tuple(sorted(obj["event_data"]))] = obj
    for base in shapes.values():
        for path in [p for p in damage_paths(base) if p[-1] in NUMERIC_OR_ID]:
            for value in SPELLINGS:
                obj = copy.deepcopy(base)
                holder = obj
                for step in path[:-1]:
                    holder = holder[step]
                holder[path[-1]] = value
                read = fast(obj)
                assert read is None or read == careful(obj), (path, value)


NUMERIC_OR_ID = {"start_time", "end_time", "worker_pid", "attempt_number", "timestamp",
                 "task_id", "parent_task_id", "job_id", "8", "7", "1"}
