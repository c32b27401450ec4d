"""The decoder's id tables and state masks, held to the Python path at their edges.

The ids' hex strs come from per-kind tables keyed by the base64 text (prefetched while the
line is parsed, evicted strs released a few evictions later) and a line's states are walked by
their set bits: every id of every kind at the edges of base64 (padding, '+', '/', a bad
character at each position, escapes, lengths), ids that come back after many evictions, and
every subset-like pattern of statuses, each read as the Python path reads it, one line at a
time (decode, decode_task) and through a batch (decode_buffer_batches).
"""

from __future__ import annotations

import base64
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_native import check, python_path, shape, shapes, task_lines
from flowinsight.read import native

if native.decode_task_line is None or native.decode_buffer_batches is None:
    pytest.skip("the native decoder is off", allow_module_level=True)

# (where the id is in a line, its raw length)
KINDS = {
    "task_id": 24, "parent_task_id": 24, "actor_id": 16, "node_id": 28, "worker_id": 28,
    "job_id": 4,
}
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def line_with(kind: str, text_json: str, states: dict[str, Any] | None = None,
              task: str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
              states_json: str | None = None) -> bytes:
    """A line of the usual shape with one id's JSON text (any text, quoted or not) put in."""
    ids = {k: '"' + base64.b64encode(bytes([i + 1]) * n).decode() + '"'
           for i, (k, n) in enumerate(KINDS.items())}
    ids["task_id"] = '"' + base64.b64encode(bytes.fromhex(task)).decode() + '"'
    ids[kind] = text_json
    st_json = states_json or orjson.dumps(
        states if states is not None
        else {"1": "1700000000000000000", "8": 1700000000000000005}).decode()
    return (
        '{"event_data":{"attempt_number":0,"job_id":%(job_id)s,'
        '"state_updates":{"node_id":%(node_id)s,"state_ts_ns":%(st)s,'
        '"worker_id":%(worker_id)s,"worker_pid":42},"task_id":%(task_id)s,'
        '"task_info":{"actor_id":%(actor_id)s,"func_or_class_name":"f","language":"PYTHON",'
        '"parent_task_id":%(parent_task_id)s,"type":"ACTOR_TASK"}},'
        '"event_id":"ev","source_type":"EXPORT_TASK","timestamp":1}'
        % dict(ids, st=st_json)).encode()


def batch_matches(lines: list[bytes]) -> None:
    """decode_buffer_batches over the lines gives, line by line, decode_task's answer."""
    assert native.decode_buffer_batches is not None and native.decode_task_line is not None
    data = bytearray(b"".join(line + b"\n" for line in lines))
    batches, ids, misses, count = native.decode_buffer_batches(data, 0, len(data), False)
    assert count == len(lines)
    got = [task for batch in batches for task in batch]
    want = [native.decode_task_line(line) for line in lines]
    missed = {index for index, _, _ in misses}
    assert missed == {i for i, w in enumerate(want) if w is None}
    kept = [w for w in want if w is not None]
    assert [shape(t) for t in got] == [shape(w[1]) for w in kept]
    assert list(ids) == [w[0] for w in kept]


def edge_texts(n: int, rng: random.Random) -> list[str]:
    """JSON texts of ids of n raw bytes: canonical ones at the alphabet's edges, and broken
    ones of every kind."""
    good = base64.b64encode(bytes(rng.randrange(256) for _ in range(n))).decode()
    out = [base64.b64encode(raw).decode() for raw in (
        b"\x00" * n, b"\xff" * n, b"\xfb" * n, b"\xfe" * n, b"\xff" * (n - 1) + b"\xfe",
        bytes(range(n)), bytes(255 - i for i in range(n)))]
    out += ["", good[:-1], good + "A", good[:-4], good + "AAAA", good.lower(), good.upper()]
    out += ["+" * len(good), "/" * len(good), "-" * len(good), "_" * len(good)]
    body = good.rstrip("=")
    if len(body) < len(good):  # padded: the unused bits set, the padding moved or missing
        last = _B64.index(body[-1])
        for bit in range(6):
            if not (last >> bit) & 1:
                out.append(body[:-1] + _B64[last | 1 << bit] + good[len(body):])
        out += [body, body + "=" * (len(good) - len(body) + 1), "=" + good[:-1]]
    for at in range(len(good)):  # a bad or odd character at each position
        for ch in "=*-_ .\x7f":
            out.append(good[:at] + ch + good[at + 1:])
    texts = ['"' + orjson.dumps(t).decode()[1:-1] + '"' for t in out]
    # escapes: the same good id with one character as \\uXXXX or \\/ (decoded first, then read)
    for at in range(0, len(good), 3):
        ch = good[at]
        esc = "\\/" if ch == "/" else "\\u%04x" % ord(ch)
        texts.append('"' + good[:at] + esc + good[at + 1:] + '"')
    texts += ['"' + good + '\\n"', "null", "0", "[]", '"' + good + '\\u00e9"']
    return texts


@pytest.mark.parametrize("kind", list(KINDS))
def test_ids_at_every_edge_read_as_the_python_path_reads_them(kind: str) -> None:
    rng = random.Random(kind)
    lines = [line_with(kind, text) for text in edge_texts(KINDS[kind], rng)]
    accepted = sum(check(line) for line in lines)
    assert accepted > 5  # the canonical ones at least
    batch_matches(lines)


@pytest.mark.long
def test_ids_evicted_and_read_again_are_the_same() -> None:
    """Far more distinct ids than any table holds, then the first ones again: each read anew
    after its eviction, and every str the same value as the Python path's."""
    rng = random.Random(7)
    raws = [bytes(rng.randrange(256) for _ in range(24)) for _ in range(70000)]
    lines = [line_with("parent_task_id", '"' + base64.b64encode(r).decode() + '"',
                       task=rng.randbytes(24).hex()) for r in raws]
    lines += lines[:2000]
    batch_matches(lines)
    for line in lines[:50] + lines[-50:]:
        assert check(line)


def test_ids_repeated_are_one_str() -> None:
    line = line_with("node_id", '"' + base64.b64encode(b"\x12" * 28).decode() + '"')
    decode = native.decode_task_line
    assert decode is not None
    first, again = decode(line), decode(line)
    assert first is not None and again is not None
    assert first[1].node_id is again[1].node_id


_STATUS_SETS = [[s] for s in range(0, 66)] + [list(range(1, 64)), list(range(0, 64)),
                                              [1, 63], [63], [2, 3, 5, 7, 11, 13, 31, 32, 33],
                                              [62, 63, 64], [9, 10, 19, 20, 59, 60, 61]]


@pytest.mark.parametrize("statuses", _STATUS_SETS, ids=str)
def test_state_sets_read_as_the_python_path_reads_them(statuses: list[int]) -> None:
    states = {str(s): str(1700000000000000000 + 7 * s) for s in statuses}
    line = line_with("job_id", '"AQAAAA=="', states=states)
    accepted = check(line)
    assert accepted == (all(1 <= s <= 63 for s in statuses) and python_path(line) is not None)
    batch_matches([line, line_with("job_id", '"AQAAAA=="', states={})])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sets(st.integers(1, 63)), st.randoms(use_true_random=False))
def test_random_state_sets(statuses: set[int], rng: random.Random) -> None:
    order = list(statuses)
    rng.shuffle(order)
    states: dict[str, Any] = {str(s): rng.choice([str(rng.randrange(2 ** 63)),
                                                   rng.randrange(2 ** 63)]) for s in order}
    line = line_with("job_id", '"AQAAAA=="', states=states)
    assert check(line)
    batch_matches([line])


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_real_lines_read_as_the_python_path_reads_them(data: st.DataObject) -> None:
    """A real line with a few bytes replaced, inserted or deleted, anywhere (ids and states
    among them): decode, decode_task and a batch agree with the Python path."""
    base = data.draw(st.sampled_from(shapes() + task_lines()[:200]))
    line = bytearray(base)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(line) - 1))
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(b'"\\/+=A0z{}[],: \x00\x1f\x7f\xe9u')
                                         + [data.draw(st.integers(0, 255))]))
        if op == "replace":
            line[at] = byte
        elif op == "insert":
            line.insert(at, byte)
        elif len(line) > 1:
            del line[at]
    one = bytes(line).replace(b"\n", b" ")
    check(one)
    batch_matches([one, base])


def time_texts() -> list[str]:
    """JSON texts of times around the 19-digit strings the decoder reads in place: every
    position of a 19-digit string broken (a non-digit, an escape, a control byte, a quote cut
    short), the lengths beside 19, and the values at 2**63."""
    base = "1795312159514094579"
    out = [base, "0" * 19, "9" * 19, str(2 ** 63 - 1), str(2 ** 63), str(2 ** 63 + 1),
           "1" + "0" * 18, "0" * 18 + "1", base[:18], base + "0", base[:17], "0", ""]
    texts = ['"%s"' % t for t in out]
    for at in range(20):
        for ch in ["a", "/", ":", " ", "-", "+", ".", "\\u0031", "\\/", "\\n", "\x7f", "\x1f",
                   '"', "\x00"]:
            texts.append('"' + base[:at] + ch + base[at + 1:] + '"')
    texts += [base, str(2 ** 63 - 1), str(2 ** 63), '"' + base, "null", "[]", '"%s"' % base * 2]
    return texts


@pytest.mark.parametrize("text", time_texts(), ids=repr)
def test_times_around_19_digits_read_as_the_python_path_reads_them(text: str) -> None:
    as_state = line_with("job_id", '"AQAAAA=="', states_json='{"2":%s,"4":"1"}' % text)
    span = ('{"event_data":{"profile_events":{"component_type":"worker","events":['
            '{"end_time":%s,"event_name":"task:execute","start_time":"1795312159514094000"},'
            '{"end_time":"1","event_name":"submit_task","start_time":%s}]},'
            '"task_id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},'
            '"event_id":"ev","source_type":"EXPORT_TASK","timestamp":1}' % (text, text)).encode()
    lines = [as_state, span]
    for line in lines:
        check(line)
        for cut in range(len(line) - 30, len(line)):  # the line ending inside or after it
            check(line[:cut])
    batch_matches(lines)
