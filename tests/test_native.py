"""The native EXPORT_TASK decoder (_taskline in flowinsight/native/) gives exactly what the Python
path gives, or steps aside.

The Python path is what the reader does with a line today: task_line (msgspec), or where it
steps aside orjson.loads and the careful parse_export_event, and the line's event id. Held here: the extension is built; it accepts
every real EXPORT_TASK line of the samples with the very event (same values, same types) of the
Python path, and no other kind of line; and for real lines damaged in every way we could think
of (bytes changed, deleted, inserted, cut; values replaced; keys repeated; whitespace, escapes,
non-ASCII, odd numbers) it either returns None or, again, exactly the Python path's answer, on
a line orjson accepts.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import subprocess
import sys
import tarfile
from enum import Enum
from functools import cache
from typing import Any, Callable

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLES, with_native
from test_read_buffer import event_bytes, sample_event_paths
from json_damage import LIKELY, damage
from json_damage import json_values as damage_values
from flowinsight.model.events import TaskUpdate
from flowinsight.read import native
from flowinsight.read.export_events import parse_export_event
from flowinsight.read.fields import BadLine
from flowinsight.read.task_lines import task_line
from flowinsight.switch import native_on

try:
    from flowinsight.read import _taskline
except ImportError:  # test_the_extension_is_built says so; the rest fail on the None
    _taskline = None  # type: ignore[assignment]

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native decoder is off", allow_module_level=True)


# ---------------------------------------------------------------------------------------------
# The lines


def _tar_members(wanted: Callable[[str], bool], limit: int | None = None) -> list[bytes]:
    lines: list[bytes] = []
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and wanted(member.name):
                handle = tar.extractfile(member)
                assert handle is not None
                lines += handle.read().splitlines()[:limit]
    return [line for line in lines if line.strip()]


@cache
def task_lines() -> tuple[bytes, ...]:
    """Every EXPORT_TASK line of the samples: the captures (stock and recorded) and the 15k
    session."""
    lines: list[bytes] = []
    for path in sample_event_paths("event_EXPORT_TASK*"):
        lines += event_bytes(path).splitlines()
    lines += _tar_members(lambda name: "EXPORT_TASK" in name)
    return tuple(line for line in lines if line.strip())


@cache
def other_lines() -> tuple[bytes, ...]:
    """Lines of every other kind: actor, job and node exports, RAY_EVENT and recorder lines."""
    lines: list[bytes] = []
    for path in sample_event_paths():
        if "EXPORT_TASK" not in path.name:
            lines += event_bytes(path).splitlines()
    lines += _tar_members(lambda name: "EXPORT_TASK" not in name and "/event_" in name, 200)
    return tuple(line for line in lines if line.strip())


@cache
def shapes() -> tuple[bytes, ...]:
    """One real line of each shape: profile events only, task_info + state updates, a failure
    (error_info with \\u escapes), an actor creation task, and state updates alone."""
    lines = task_lines()
    picks = [
        next(x for x in lines if b'"profile_events"' in x and b"task::" in x and len(x) < 2000),
        next(x for x in lines if b'"task_info"' in x and b'"node_id"' in x),
        next(x for x in lines if b'"error_info"' in x),
        next(x for x in lines if b'"actor_id"' in x),
        next(x for x in lines if b'"state_ts_ns"' in x and b'"task_info"' not in x
             and b'"profile_events"' not in x),
    ]
    return tuple(picks)


# ---------------------------------------------------------------------------------------------
# The two paths


def python_path(line: bytes) -> tuple[object, TaskUpdate] | None:
    """What the reader makes of a line today, when the line is an EXPORT_TASK line it reads
    to a TaskUpdate; None for every other line."""
    fast = task_line(line)
    if fast is not None:
        return fast
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or "event_data" not in obj \
            or obj.get("source_type") != "EXPORT_TASK":
        return None
    try:
        event = parse_export_event(obj)
    except (BadLine, ValueError, TypeError, KeyError, AttributeError, ArithmeticError):
        return None
    return (obj.get("event_id", obj.get("eventId")), event) \
        if isinstance(event, TaskUpdate) else None


def shape(value: Any) -> Any:
    """A value with the type of every part of it: equality alone lets 1 == True, a StrEnum
    equal its str, and a tuple equal a list-free look-alike."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value), tuple(shape(getattr(value, f.name))
                                  for f in dataclasses.fields(value))
    if isinstance(value, tuple):
        return tuple, tuple(shape(v) for v in value)
    if isinstance(value, Enum):
        return type(value), value.value
    return type(value), value


def check(line: bytes) -> bool:
    """The C decoder steps aside, or gives exactly the Python path's answer; True if it
    accepted the line."""
    assert native.decode_task_line is not None
    got = native.decode_task_line(line)
    if got is None:
        return False
    expected = python_path(line)
    assert expected is not None, f"C accepted a line the Python path does not read: {line!r}"
    assert shape(got) == shape(expected), line
    return True


# ---------------------------------------------------------------------------------------------
# (a) built, and switched off by the environment


def test_the_extension_is_built_and_used() -> None:
    assert _taskline is not None, "_taskline in flowinsight/native/ was not built: `make setup`"
    assert native.decode_task_line is not None
    assert native.decode_task_line(b"{}") is None
    with pytest.raises(BufferError):  # it writes NULs over the newlines as it reads
        _taskline.decode_buffer_batches(b"{}\n", 0, 3, False)  # type: ignore[arg-type]


def test_flowinsight_native_0_turns_it_off() -> None:
    code = "from flowinsight.read import native; print(native.decode_task_line is None)"
    for on, off in ((False, b"True"), (True, b"False")):
        assert with_native(on, code).strip() == off


_CONFIGURE = """
import dataclasses, sys
from flowinsight.model.events import Span, TaskType, TaskUpdate
from flowinsight.read import _taskline

lines = [bytes.fromhex(arg) for arg in sys.argv[1:]]
from flowinsight.read import native  # configures it
print([native.decode_task_line(line) is not None for line in lines])

def setters(cls):
    return tuple(getattr(cls, f.name) for f in dataclasses.fields(cls))

def failing(kind):
    def parse(text, task_type):
        raise kind(text)
    return parse

types = (TaskType.NORMAL, TaskType.ACTOR, TaskType.ACTOR_CREATION, TaskType.DRIVER)
_taskline.configure(TaskUpdate, setters(TaskUpdate), Span, setters(Span), types,
                    failing(ValueError))
print([native.decode_task_line(line) for line in lines])
_taskline.configure(TaskUpdate, setters(TaskUpdate), Span, setters(Span), types,
                    failing(KeyboardInterrupt))
for line in lines:
    try:
        native.decode_task_line(line)
    except KeyboardInterrupt:
        print("interrupted")
"""


def test_a_failing_descriptor_parser_is_left_to_the_python_path() -> None:
    """An Exception from parse_descriptor gives None (the Python path's except); anything else goes
    through."""
    spans, info = shapes()[:2]
    out = subprocess.run([sys.executable, "-c", _CONFIGURE, info.hex(), spans.hex()],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split("\n")[:4] == ["[True, True]", "[None, None]", "interrupted",
                                          "interrupted"], out.stdout + out.stderr


# ---------------------------------------------------------------------------------------------
# (b) the real lines


def test_every_real_task_line_is_read_natively_as_the_python_path_reads_it() -> None:
    lines = task_lines()
    assert len(lines) > 30000
    refused = [line for line in lines if not check(line)]
    assert not refused, f"{len(refused)} real lines refused, e.g. {refused[0][:300]!r}"


def test_lines_of_other_kinds_are_left_alone() -> None:
    assert native.decode_task_line is not None
    lines = other_lines()
    kinds = {orjson.loads(line).get("source_type") for line in lines}
    assert {"EXPORT_ACTOR", "EXPORT_DRIVER_JOB", "EXPORT_NODE"} <= kinds
    assert len(lines) > 1000
    for line in lines:
        assert native.decode_task_line(line) is None, line
        assert python_path(line) is None


# ---------------------------------------------------------------------------------------------
# (c) damaged lines


def test_every_cut_and_every_missing_byte() -> None:
    for line in shapes():
        assert check(line)
        for end in range(len(line)):
            assert not check(line[:end]) or line[end:].strip() == b""
            check(line[:end] + line[end + 1:])


_SPECIAL = b'"\\{}[],:0-.eE+ \t\n\x00\x1f\x7f\x80\xffu/A=n'


def test_every_byte_replaced_or_inserted() -> None:
    for line in shapes()[:3]:
        for at in range(len(line)):
            for byte in _SPECIAL:
                check(line[:at] + bytes([byte]) + line[at + 1:])
            for byte in b'" \\{,0':
                check(line[:at] + bytes([byte]) + line[at:])


_KEY = re.compile(rb'(?<!\\)"([A-Za-z_0-9]+)":')
_NUMBER = re.compile(rb"(?<=[:\[,])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?=[,}\]])")
_DIGITS = re.compile(rb'(?<=:)"\d+"')
_NUMBERS = [b"0", b"-0", b"1", b"-1", b"1.0", b"1e3", b"1E+3", b"1e-400", b"1e400", b"-1e400",
            b"0.5", b"1.5e308", b"1.8e308", b"9" * 18, b"9" * 19, b"9" * 20, b"1" * 400,
            b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
            b"-9223372036854775809", b"18446744073709551615", b"18446744073709551616",
            b"01", b"1.", b".5", b"-", b"+1", b"1e", b"0x10", b"NaN", b"Infinity", b"1_0",
            b"true", b"false", b"null", b'"1"', b"[]", b"{}"]
_DIGIT_STRINGS = [b'""', b'" 1"', b'"1 "', b'"+1"', b'"-1"', b'"1_0"', b'"0x10"', b'"007"',
                  b'"0"', b'"9223372036854775807"', b'"9223372036854775808"',
                  b'"00000000000000000000001"', b'"\\u0031"', b'"1.5"', b'"1e3"',
                  '"\u0661"'.encode(), b'"\xd9\xa1"', b"1795312164857571448", b"null", b"1"]
_WHITESPACE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\xc2\xa0", b"  \r\n\t "]
_INSERTS = [b"\xc3\xa9", b"\xff", "\u2028".encode(), b"\\u00e9", b"\\ud83d\\ude00", b"\\ud800",
            b"\\udc00", b"\\u0000", b"\\/", b"\\", b'\\"', b"\x00", b"\x1f", b"\x7f"]

# more likely values than test_fast_paths', for a decoder that reads the bytes themselves
json_values = damage_values(LIKELY + ["AQAAAB==", "AQAAAA", "/" * 40, "task:store_outputs",
                                      "ACTOR_CREATION_TASK", "EXPORT_TASK",
                                      "1795312164857571448", "python", "Python", "\u00e9",
                                      "\x1b[36m"])


def _dumps(value: Any) -> bytes:
    """Compact JSON, as Ray writes it (orjson.dumps refuses integers beyond 64 bits)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _replace(data: st.DataObject, line: bytes, pattern: re.Pattern[bytes],
             choices: list[bytes]) -> bytes:
    found = list(pattern.finditer(line))
    if not found:
        return line
    match = data.draw(st.sampled_from(found))
    return line[:match.start()] + data.draw(st.sampled_from(choices)) + line[match.end():]


def _damage(data: st.DataObject, line: bytes) -> bytes:
    kind = data.draw(st.sampled_from(["byte", "delete", "insert", "cut", "key", "escape",
                                      "space", "text", "number", "digits", "value"]))
    if not line:
        return data.draw(st.binary(max_size=4))
    at = data.draw(st.integers(0, len(line)))
    if kind == "byte":
        at = min(at, len(line) - 1)
        byte = data.draw(st.sampled_from(list(_SPECIAL)) | st.integers(0, 255))
        return line[:at] + bytes([byte]) + line[at + 1:]
    if kind == "delete":
        return line[:at] + line[at + data.draw(st.integers(1, 40)):]
    if kind == "insert":
        return line[:at] + data.draw(st.binary(min_size=1, max_size=4)) + line[at:]
    if kind == "cut":
        return line[:at]
    if kind == "key":  # a key again in its object, before or after the one there
        found = list(_KEY.finditer(line))
        if not found:
            return line
        match = data.draw(st.sampled_from(found))
        value = _dumps(data.draw(json_values))
        extra = match.group(0) + value + b","
        return line[:match.start()] + extra + line[match.start():]
    if kind == "escape":  # a character spelled as an escape: the same string, if in one
        spots = [m.start() for m in re.finditer(rb"[A-Za-z0-9_=+/:.]", line)]
        if not spots:
            return line
        spot = data.draw(st.sampled_from(spots))
        char = line[spot]
        escaped = data.draw(st.sampled_from([b"\\u%04x" % char, b"\\u%04X" % char]
                                            + ([b"\\/"] if char == ord("/") else [])))
        return line[:spot] + escaped + line[spot + 1:]
    if kind == "space":
        return line[:at] + data.draw(st.sampled_from(_WHITESPACE)) + line[at:]
    if kind == "text":
        return line[:at] + data.draw(st.sampled_from(_INSERTS)) + line[at:]
    if kind == "number":
        return _replace(data, line, _NUMBER, _NUMBERS)
    if kind == "digits":
        return _replace(data, line, _DIGITS, _DIGIT_STRINGS)
    # a value replaced or a key removed, then written back in one of several spellings
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line
    if not damage(obj, data, json_values):
        return line
    spelling = data.draw(st.sampled_from(["compact", "spaced", "indented", "ascii"]))
    if spelling == "compact":
        return _dumps(obj)
    if spelling == "spaced":
        return json.dumps(obj, ensure_ascii=False).encode()
    if spelling == "indented":
        return json.dumps(obj, indent=1, ensure_ascii=False).replace("\n", "\r\n ").encode()
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode()


@pytest.mark.long
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_line_is_read_alike_or_left_to_the_python_path(data: st.DataObject) -> None:
    lines = task_lines()
    line = data.draw(st.sampled_from(shapes()) | st.sampled_from(lines[:5000]))
    for _ in range(data.draw(st.integers(1, 3))):
        line = _damage(data, line)
    check(line)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_line_of_another_kind_damaged_is_still_left_alone(data: st.DataObject) -> None:
    line = data.draw(st.sampled_from(other_lines()))
    for _ in range(data.draw(st.integers(1, 2))):
        line = _damage(data, line)
    check(line)


def _with_skipped(line: bytes, value: bytes) -> bytes:
    """The line with one more key in event_data, one the decoder only validates."""
    return line.replace(b'"event_data":{', b'"event_data":{"zz":' + value + b",", 1)


_JSONISH = st.text(alphabet='{}[]",:0123456789.eE+- \t\n\rtruefalsn\\/uaAfF\x00\x1f\x7f',
                   max_size=24).map(str.encode)
_NUMBERISH = st.from_regex(r"-?[0-9]{0,25}(\.[0-9]{0,4})?([eE][+-]?[0-9]{0,5})?",
                           fullmatch=True).map(str.encode)


@settings(max_examples=1500, deadline=None)
@given(text=_JSONISH | _NUMBERISH, index=st.integers(0, 4))
def test_a_skipped_value_is_judged_as_orjson_judges_it(text: bytes, index: int) -> None:
    """Where the decoder only validates, it accepts nothing orjson refuses (check() asks
    orjson whenever C accepts)."""
    check(_with_skipped(shapes()[index], text))


ascii_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**18 + 1, 10**18 - 1)
    | st.floats(-1e6, 1e6, allow_nan=False) | st.text(st.characters(max_codepoint=127)),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=5), inner,
                      max_size=3), max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(value=ascii_values, index=st.integers(0, 4), indent=st.sampled_from([None, 0, 2]))
def test_a_plain_skipped_value_is_read_through(value: Any, index: int,
                                               indent: int | None) -> None:
    """ASCII JSON of ordinary numbers, in any spelling json.dumps has: always read (an
    indent's newlines as carriage returns: a line has no newline inside)."""
    text = json.dumps(value, indent=indent).encode().replace(b"\n", b"\r")
    assert check(_with_skipped(shapes()[index], text))


# Hand-written: (what, the line made from a real one, True: must be read, False: must be left)
def _with(line: bytes, old: bytes, new: bytes) -> bytes:
    assert old in line, old
    return line.replace(old, new, 1)


def _respelled(line: bytes, **dumps: Any) -> bytes:
    return json.dumps(orjson.loads(line), **dumps).encode()


def _reordered(line: bytes) -> bytes:
    def rev(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: rev(v) for k, v in reversed(value.items())}
        if isinstance(value, list):
            return [rev(v) for v in value]
        return value
    return orjson.dumps(rev(orjson.loads(line)))


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _cases() -> list[tuple[str, bytes, bool | None]]:
    spans, info, failed, actor, states = shapes()
    return [
        ("as is", spans, True),
        # (JSON's whitespace but the newline, which ends a line)
        ("whitespace everywhere", _respelled(info, indent=2).replace(b"\n", b" \r "), True),
        ("whitespace, CR", _respelled(failed, indent="\t").replace(b"\n", b"\r"), True),
        ("leading and trailing whitespace", b" \t\r" + info + b" \r", True),
        ("keys in reverse order", _reordered(spans), True),
        ("keys in reverse order (task_info)", _reordered(info), True),
        ("all ASCII-escaped", _respelled(failed, ensure_ascii=True), True),
        ("escaped slash in the event id", _with(info, b'"event_id":"', b'"event_id":"\\/'), True),
        ("escaped letter in the task type", _with(info, b"NORMAL_TASK", b"NORMAL\\u005fTASK")
         if b"NORMAL_TASK" in info else info, True),
        ("escaped letter in a base64 id",
         _with(info, b'"job_id":"AQAAAA==', b'"job_id":"AQAAAA\\u003d='), True),
        ("non-ASCII escape in the function name",
         _with(info, b'"func_or_class_name":"', b'"func_or_class_name":"\\u00e9'), True),
        ("non-ASCII escape in an error message",
         _with(failed, b'"error_message":"', b'"error_message":"\\u4e2d\\u00e9'), True),
        ("\\u0000 in the event id", _with(info, b'"event_id":"', b'"event_id":"\\u0000'), True),
        ("event id null", _with(info, b'"event_id":"', b'"event_idx":"'), True),
        ("raw non-ASCII in a skipped string",
         _with(info, b'"func_or_class_name"', '"zz\u00e9":1,"func_or_class_name"'.encode()),
         False),
        ("surrogate pair escape", _with(info, b'"event_id":"', b'"event_id":"\\ud83d\\ude00'),
         False),
        ("lone surrogate in a skipped string",
         _with(info, b'"func_or_class_name"', b'"zz":"\\ud800","func_or_class_name"'), False),
        ("bad escape", _with(info, b'"event_id":"', b'"event_id":"\\x'), False),
        ("raw tab in a string", _with(info, b'"event_id":"', b'"event_id":"\t'), False),
        ("trailing garbage", info + b"x", False),
        ("two documents", info + info, False),
        ("trailing comma", _with(info, b"}", b",}"), False),
        ("NUL after the line", info + b"\x00", False),
        ("unbalanced", info[:-1], False),
        ("duplicate task id", _with(info, b'"task_id":', b'"task_id":"AAAA","task_id":'), False),
        ("duplicate event id", _with(info, b'"event_id":', b'"event_id":null,"event_id":'),
         False),
        ("duplicate skipped key", _with(info, b'"labels":', b'"labels":1,"labels":'), True),
        ("skipped 1e400", _with(info, b'"labels":', b'"zz":1e400,"labels":'), False),
        ("skipped 1e-400", _with(info, b'"labels":', b'"zz":1e-400,"labels":'), None),
        ("skipped 0.5", _with(info, b'"labels":', b'"zz":0.5,"labels":'), True),
        ("skipped -0.0e+5", _with(info, b'"labels":', b'"zz":-0.0e+5,"labels":'), True),
        ("skipped 20-digit int", _with(info, b'"labels":', b'"zz":' + b"9" * 20 + b',"labels":'),
         None),
        ("skipped deep nesting", _with(info, b'"labels":', b'"zz":' + _nested(40) + b',"labels":'),
         True),
        ("skipped very deep nesting",
         _with(info, b'"labels":', b'"zz":' + _nested(200) + b',"labels":'), False),
        ("timestamp float", _with(info, b'"timestamp":', b'"timestamp":1.5,"zz":'), False),
        ("timestamp negative", _with(info, b'"timestamp":', b'"timestamp":-5,"zz":'), True),
        ("timestamp null", _with(info, b'"timestamp":', b'"timestamp":null,"zz":'), True),
        ("timestamp string", _with(info, b'"timestamp":', b'"timestamp":"1","zz":'), False),
        ("source type other", _with(info, b'"EXPORT_TASK"', b'"EXPORT_ACTOR"'), False),
        ("source type escaped", _with(info, b'"EXPORT_TASK"', b'"EXPORT\\u005fTASK"'), True),
        ("no event_data", _with(info, b'"event_data"', b'"event_datum"'), False),
        ("escaped key", _with(info, b'"event_data"', b'"event\\u005fdata"'), False),
        ("state key 01", _with(info, b'"state_ts_ns":{', b'"state_ts_ns":{"01":"5",'), False),
        ("state key 64", _with(info, b'"state_ts_ns":{', b'"state_ts_ns":{"64":"5",'), False),
        ("state key 63", _with(info, b'"state_ts_ns":{', b'"state_ts_ns":{"63":"5",'), True),
        ("state time as int", _with(info, b'"state_ts_ns":{', b'"state_ts_ns":{"63":5,'), True),
        ("state time too big", _with(info, b'"state_ts_ns":{',
                                     b'"state_ts_ns":{"63":"9223372036854775808",'), False),
        ("state time largest", _with(info, b'"state_ts_ns":{',
                                     b'"state_ts_ns":{"63":9223372036854775807,'), True),
        ("state time leading zeros", _with(info, b'"state_ts_ns":{',
                                           b'"state_ts_ns":{"63":"0000001",'), True),
        ("span end before start", _with(spans, b'"end_time":"', b'"end_time":"1","zz":"'), True),
        ("other span's odd time", _with(spans, b'"events":[',
                                        b'"events":[{"event_name":"x","start_time":"+1"},'),
         True),
        ("task span's odd time", _with(spans, b'"events":[',
                                       b'"events":[{"event_name":"task::f","start_time":"+1",'
                                       b'"end_time":"2"},'), False),
        ("no-info task spans: the last names it",
         _with(spans, b'"events":[', b'"events":[{"event_name":"task::zz.first",'
                                     b'"start_time":"1","end_time":"2"},'), True),
        ("worker pid negative", re.sub(rb'"worker_pid":\d+', b'"worker_pid":-3', spans), False),
        ("worker pid null", re.sub(rb'"worker_pid":\d+', b'"worker_pid":null', spans), True),
        ("worker pid float", re.sub(rb'"worker_pid":\d+', b'"worker_pid":3.0', spans), False),
        ("attempt 3", _with(info, b'"attempt_number":0', b'"attempt_number":3'), True),
        ("attempt true", _with(info, b'"attempt_number":0', b'"attempt_number":true'), False),
        ("non-canonical base64 bits", _with(info, b'"job_id":"AQAAAA=="', b'"job_id":"AQAAAB=="'),
         False),
        ("empty job id", _with(info, b'"job_id":"AQAAAA=="', b'"job_id":""'), True),
        ("nil job id", _with(info, b'"job_id":"AQAAAA=="', b'"job_id":"/////w=="'), True),
        ("null job id", _with(info, b'"job_id":"AQAAAA=="', b'"job_id":null'), True),
        ("lower-case language", _with(info, b'"language":"PYTHON"', b'"language":"pyThon"'),
         True),
        ("null task info", re.sub(rb'"task_info":\{.*?"type":"[A-Z_]+"\}', b'"task_info":null',
                                  info), True),
        ("task info a list", re.sub(rb'"task_info":\{.*?"type":"[A-Z_]+"\}', b'"task_info":[]',
                                    info), False),
        ("error info null", re.sub(rb'"error_info":\{.*?\}', b'"error_info":null', failed), True),
        ("actor task", actor, True),
        ("states only", states, True),
    ]


@pytest.mark.parametrize("index", range(len(_cases())), ids=[c[0] for c in _cases()])
def test_hand_written_lines(index: int) -> None:
    what, line, read = _cases()[index]
    accepted = check(line)
    if read is not None:
        assert accepted is read, what
