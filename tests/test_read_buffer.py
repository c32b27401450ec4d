"""Reading through one buffer (lines.BufferBlocks and the C decode_buffer) gives exactly what
the list path gives (LineBlocks and decode_block, the reference): the same events, ids, report
and examples (line numbers included), for every sample, for the robustness suite's kinds of
line, and for random mixes of real lines, junk, blank lines, CRLF, a BOM, over-long lines and
a missing last newline, cut into reads of any size. And the digests it makes in place of the
ids are event_id_digest's of the ids, so a group's digests are the list path's."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import zlib
from array import array
from functools import cache
from pathlib import Path
from typing import Any, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, capture_dirs, with_native
from flowinsight.model.events import Event
from flowinsight.read import discover, event_file, native
from flowinsight.read.event_file import NATIVE_MISSES, FileResult, read_stream
from flowinsight.read.limits import Budget
from flowinsight.read.parallel import GroupResult, event_id_digest, read_group
from parity_support import robust_lines

if native.decode_buffer is None:
    pytest.skip("the native decoder is off or not built", allow_module_level=True)

BOM = b"\xef\xbb\xbf"
decode_buffer = native.decode_buffer


def read(data: bytes, *, in_buffer: bool, digests: bool = False, chunk: int = 1 << 20,
         max_line: int = 16 << 20) -> FileResult:
    stream = io.BufferedReader(io.BytesIO(data))
    return read_stream(stream, "t.log", Budget("t"), digests=digests, in_buffer=in_buffer,  # type: ignore[arg-type]
                       chunk=chunk, max_line=max_line)


def id_digests(ids: Sequence[object]) -> list[int]:
    return sorted(event_id_digest(i) for i in ids if type(i) is str and i)


def assert_same(data: bytes, chunk: int = 1 << 20, max_line: int = 16 << 20) -> FileResult:
    """Both paths on `data`, with ids and with digests: all equal. Returns the reference."""
    want = read(data, in_buffer=False, chunk=chunk, max_line=max_line)
    got = read(data, in_buffer=True, chunk=chunk, max_line=max_line)
    assert got.report == want.report
    assert got.examples == want.examples
    assert got.events == want.events
    assert [type(e) for e in got.events] == [type(e) for e in want.events]
    assert got.event_ids == want.event_ids and got.digests is None
    hashed = read(data, in_buffer=True, digests=True, chunk=chunk, max_line=max_line)
    assert (hashed.report, hashed.examples, hashed.events) == (want.report, want.examples,
                                                               want.events)
    assert hashed.digests is not None and want.digests is None
    # the same (id, line) digests: the C decoder's line digest is line_digest's
    assert key_pairs(hashed) == key_pairs(want)
    return want


def key_pairs(result: FileResult) -> list[tuple[int, int]]:
    """The (id digest, line digest) of every event with an id: the decoder's, and those of the
    events the Python path read (as parallel.read_group gathers them)."""
    flat = list(result.digests or ())
    got = list(zip(flat[0::2], flat[1::2]))
    assert result.contents is not None and len(result.contents) == len(result.event_ids)
    got += [(event_id_digest(i), line) for i, line in zip(result.event_ids, result.contents)
            if type(i) is str and i]
    return sorted(got)


# ---------------------------------------------------------------------------------------------
# The inputs


def sample_event_paths(pattern: str = "event_*") -> list[Path]:
    """The samples' event files, except samples/libraries (Ray library runs, some gzipped,
    checked against their own truth by tests/live/test_live_libraries.py)."""
    return sorted(p for p in SAMPLES.rglob(pattern)
                  if p.is_file() and p.relative_to(SAMPLES).parts[0] != "libraries")


def event_bytes(path: Path) -> bytes:
    """An event file's lines as bytes (a gzipped one decompressed)."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@cache
def sample_files() -> tuple[bytes, ...]:
    """Every event file of the samples, and those of the 15k session's archive."""
    files = [event_bytes(p) for p in sample_event_paths()]
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and "/event_" in member.name:
                files.append(handle.read())
    return tuple(files)


@cache
def real_lines() -> tuple[bytes, ...]:
    """Lines of every kind from the samples: EXPORT_TASK first (most of the pool)."""
    tasks: list[bytes] = []
    others: list[bytes] = []
    for path in sample_event_paths():
        for line in event_bytes(path).splitlines()[:40]:
            if line.strip():
                (tasks if b"EXPORT_TASK" in line else others).append(line)
    return tuple(tasks + others)


def escaped_id_lines() -> list[bytes]:
    """Real task lines whose event_id holds escapes, non-ASCII ones, or is empty or null."""
    line = next(x for x in real_lines() if b'"event_id":"' in x or b'"event_id": "' in x)
    key = b'"event_id":"' if b'"event_id":"' in line else b'"event_id": "'
    head, rest = line.split(key, 1)
    tail = rest.split(b'"', 1)[1]
    return [head + key + value + b'"' + tail
            for value in (b"\\u0041bc", b"caf\\u00e9", b"\\u4e2d\\/x", b"", b"\\\"q\\\\")] + \
        [head + key[:-1] + b"null" + tail]


# ---------------------------------------------------------------------------------------------
# The tests


def test_every_sample_file_reads_the_same() -> None:
    results = [assert_same(data) for data in sample_files()]
    assert sum(len(r.events) for r in results) > 10_000  # the 15k session is in


@pytest.mark.parametrize("chunk", [1, 7, 100, 919, 4096])
def test_sample_files_cut_into_small_reads_read_the_same(chunk: int) -> None:
    files = [f for f in sample_files() if len(f) < 200_000][:12] if chunk < 100 else \
        list(sample_files())[:40]
    for data in files:
        assert_same(data, chunk=chunk)


@pytest.mark.parametrize("max_line", [50, 500, 920, 1500, 5000])
def test_a_small_cap_on_lines_reads_the_same(max_line: int) -> None:
    data = b"\n".join(real_lines()[:200] + tuple(robust_lines()) + (b"z" * 6000,)) + b"\n"
    for chunk in (64, 1000, 1 << 20):
        result = assert_same(data, chunk=chunk, max_line=max_line)
        assert dict(result.report.skipped).get("too_long", 0) > 0


def test_robustness_lines_and_escaped_ids_read_the_same() -> None:
    lines = robust_lines() + escaped_id_lines() + list(real_lines()[:20])
    for end in (b"\n", b"\r\n"):
        data = BOM + end.join(lines)  # and no newline at the end
        for chunk in (3, 4, 5, 33, 1000, 1 << 20):
            assert_same(data, chunk=chunk)  # (chunk 3: a first read of only the BOM ends it)


def test_escaped_and_empty_ids_are_digested_as_their_strs() -> None:
    data = bytearray(b"\n".join(escaped_id_lines()) + b"\n")
    events, ids, missed, count = decode_buffer(data, 0, len(data), False)
    assert (len(events), missed, count) == (6, [], 6)
    assert "Abc" in ids and "café" in ids and "" in ids and None in ids
    _, packed, _, _ = decode_buffer(data, 0, len(data), True)
    got = array("Q")
    got.frombytes(packed)  # type: ignore[arg-type]
    assert sorted(got[0::2]) == id_digests(ids) and len(got) == 8  # each with its line's


def test_many_declined_lines_turn_the_decoder_off_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """NATIVE_MISSES counts per block: the blocks (one per read) must be the same, and so the
    lines handed to C before it is no longer asked. (The outcome is the same either way.)"""
    asked = {"list": 0, "buffer": 0}
    block, buffer, line = native.decode_block, native.decode_buffer, native.decode_task_line
    assert block is not None and buffer is not None and line is not None

    def count_block(lines: list[bytes]) -> object:
        asked["list"] += len(lines)
        return block(lines)

    def count_buffer(data: bytearray, start: int, end: int, digests: bool) -> object:
        out = buffer(data, start, end, digests)
        asked["buffer"] += out[3]
        return out

    def count_line(raw: bytes) -> object:
        asked["buffer"] += 1
        return line(raw)

    monkeypatch.setattr(event_file, "decode_block", count_block)
    monkeypatch.setattr(event_file, "decode_buffer", count_buffer)
    monkeypatch.setattr(event_file, "decode_task_line", count_line)
    others = [x for x in real_lines() if b"EXPORT_TASK" not in x]
    tasks = [x for x in real_lines() if b"EXPORT_TASK" in x]
    cases: list[tuple[bytes, int, int]] = []
    for mix in (others * 3 + tasks, tasks[:5] + others[:NATIVE_MISSES + 1] + tasks,
                [b"{junk"] * (NATIVE_MISSES + 1) + tasks[:NATIVE_MISSES] + tasks):
        data = b"\n".join(mix) + b"\n"
        cases += [(data, chunk, 16 << 20) for chunk in (500, 5000, 40_000, 1 << 20)]
    # Blocks just short of the rule, of lines of one width (a task line padded with spaces):
    # a first read of N declined lines and N - 1 decoded ones (N misses: not more than N)...
    n = NATIVE_MISSES
    task = next(x for x in tasks if line(x) is not None)
    width = len(task) + 2
    good, bad = task.ljust(width), b"{" + b"x" * (width - 1)  # (junk would cost C nothing)
    data = b"\n".join([bad] * n + [good] * (n - 1) + [good] * 100) + b"\n"
    cases.append((data, (2 * n - 1) * (width + 1), 16 << 20))
    # ... and an over-long line ended by a read that holds N declined lines and N + 1 decoded
    # ones (N + 1 misses, not more than half of the block's 2N + 2 lines)
    cap = (2 * n + 1) * (width + 1) + 6
    data = b"\n".join([b"y" * (cap + 5)] + [bad] * n + [good] * (n + 1) + [good] * 100) + b"\n"
    cases.append((data, cap, cap))
    turned_off = 0
    for data, chunk, max_line in cases:
        asked["list"] = asked["buffer"] = 0
        assert_same(data, chunk=chunk, max_line=max_line)
        assert asked["buffer"] == 2 * asked["list"]  # with ids, and with digests
        turned_off += asked["list"] < data.count(b"\n")
    assert turned_off >= 3
    # junk costs the decoder nothing (the first byte says it is no object): never turned off
    data = b"\n".join([b"junk"] * 5000 + tasks) + b"\n"
    asked["list"] = asked["buffer"] = 0
    assert_same(data)
    assert asked["list"] == data.count(b"\n")


def test_compressed_files_read_the_same() -> None:
    data = b"\n".join(real_lines()[:300]) + b"\n{cut"
    for packed in (gzip.compress(data), gzip.compress(data)[:-30]):
        assert_same(packed, chunk=777)


def test_the_buffer_is_left_as_it_was_and_bad_ranges_are_refused() -> None:
    lines = list(real_lines()[:5]) + [b"junk"]
    data = bytearray(b"\n".join(lines) + b"\n")
    before = bytes(data)
    events, ids, missed, count = decode_buffer(data, 0, len(data), False)
    assert bytes(data) == before and count == 6 and len(events) + len(missed) == 6
    index, start, stop = missed[-1]
    assert (index, bytes(data[start:stop])) == (5, b"junk")
    assert decode_buffer(data, 3, 3, True)[3] == 0
    for start, end in ((0, len(data) - 1), (-1, 4), (5, 2), (0, len(data) + 1)):
        with pytest.raises(ValueError):
            decode_buffer(data, start, end, False)
    with pytest.raises((TypeError, BufferError)):
        decode_buffer(bytes(data), 0, len(data), False)  # type: ignore[arg-type]


_LINE = st.one_of(
    st.sampled_from(range(10_000)).map(lambda i: real_lines()[i % len(real_lines())]),
    st.sampled_from(robust_lines() + escaped_id_lines()),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.just(b""),
    st.integers(1, 3000).map(lambda n: b'{"x":"' + b"y" * n + b'"}'),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINE, max_size=60), crlf=st.booleans(), bom=st.booleans(),
       last_newline=st.booleans(), chunk=st.integers(1, 6000),
       max_line=st.sampled_from([20, 300, 1000, 2000, 16 << 20]))
def test_random_mixes_in_random_reads_read_the_same(lines: list[bytes], crlf: bool, bom: bool,
                                                    last_newline: bool, chunk: int,
                                                    max_line: int) -> None:
    end = b"\r\n" if crlf else b"\n"
    data = (BOM if bom else b"") + end.join(lines) + (end if last_newline else b"")
    assert_same(data, chunk=chunk, max_line=max_line)


def sorted_keys(group: GroupResult[Any]) -> list[list[tuple[int, int]]]:
    """A group's (id digest, line digest) pairs, file by file, sorted (the decoder's come
    first, the Python path's after them)."""
    return [sorted(zip(keys[0::2], keys[1::2])) for keys in group.keys]


class _Collect:
    """A reducer that keeps the events, to compare a group's events whole."""

    def reduce(self, events: Sequence[Event], into: list[Event] | None = None) -> list[Event]:
        return (into or []) + list(events)

    def merge(self, first: list[Event], later: list[Event]) -> list[Event]:
        return first + later


def test_a_groups_digests_and_events_are_the_list_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = capture_dirs()
    sources = [s for f in folders if f.is_dir() for s in discover([str(f)])]
    got = read_group(0, sources, _Collect())
    monkeypatch.setattr(event_file, "decode_buffer", None)  # the list path, ids digested after
    want = read_group(0, sources, _Collect())
    assert (got.reports, got.examples, got.events) == (want.reports, want.examples, want.events)
    assert sorted_keys(got) == sorted_keys(want) and sum(map(len, got.keys)) > 2000
    assert got.reduced == want.reduced


def test_native_0_reads_through_the_list_path() -> None:
    """Without the extension, read_stream takes LineBlocks: nothing here is asked of C."""
    code = ("from flowinsight.read import event_file, native; "
            "assert native.decode_buffer is None and event_file.decode_buffer is None")
    with_native(False, code)


@pytest.mark.parametrize("max_line", [4, 9, 16])
def test_lines_at_the_cap_in_every_cut(max_line: int) -> None:
    """Lines of one byte under, at and over the cap (a JSON string: at the cap it is read,
    over it it is too_long), before and after others, in reads of every size up to two lines."""
    def sized(n: int) -> bytes:
        return b'"' + b"s" * (n - 2) + b'"'

    near = [sized(max_line - 1), sized(max_line), sized(max_line + 1), sized(3 * max_line)]
    for first in near:
        for second in near:
            data = first + b"\n" + b"[]" + b"\n" + second + b"\n" + first
            for chunk in range(1, 2 * max_line + 3):
                assert_same(data, chunk=chunk, max_line=max_line)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, (1 << 64) - 1), st.integers(0, 300),
                          st.integers(0, 5).map(lambda i: (i << 56) | 7)), max_size=3000),
       st.integers(0, 3))
def test_digests_sort_as_python_sorts_them(values: list[int], copies: int) -> None:
    """sort_digests (a radix sort): sorted() order, and whether any value repeats."""
    assert native.digest_functions is not None
    sort = native.digest_functions[1]
    values = values + values[:copies]
    packed, repeated = sort(array("Q", values).tobytes())
    got = array("Q")
    got.frombytes(packed)
    assert list(got) == sorted(values)
    assert repeated == (len(set(values)) != len(values))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=12), st.binary(min_size=5000, max_size=20000),
                          st.integers(0, 12000).map(lambda n: b"\xff" * n)), max_size=8))
def test_digests_of_ids_of_any_length_are_zlibs(raws: list[bytes]) -> None:
    """crc32 8 bytes at a time, adler32 with the modulo deferred: zlib's values, at every
    length (ids are str: the bytes are taken as latin-1, so their UTF-8 is longer still)."""
    assert native.digest_functions is not None
    ids = [raw.decode("latin-1") for raw in raws]
    got = array("Q")
    got.frombytes(native.digest_functions[0](list[object](ids)))
    assert list(got) == [event_id_digest(i) for i in ids if i]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.binary(min_size=200, max_size=20000),
                          st.integers(0, 12000).map(lambda n: b"\xff" * n)), max_size=8))
def test_line_digests_are_length_and_zlibs_crc32_at_every_length(raws: list[bytes]) -> None:
    """The decoder's line digests (crc32 folded 64 bytes a step with carry-less multiplication,
    the rest a byte at a time) are digests.line_digest's."""
    from flowinsight.read import _taskline
    from flowinsight.read.digests import line_digest

    got = array("Q")
    got.frombytes(_taskline.line_digests(raws))
    assert list(got) == [line_digest(raw) for raw in raws]
    assert list(got) == [len(raw) << 32 | zlib.crc32(raw) for raw in raws]


# Junk: lines that are not a JSON object and start with a byte no JSON text starts with. The
# buffer path counts runs of them in C (count_skipped); the reference reads each with orjson.
JUNK = [b"hello", b"\xff\xfe\x00garbage", b"# comment", b"\x00" * 9, b"key=value", b"\x0b[1]",
        b"  \t?", b"\xc3(", b"\xed\xa0\x80 surrogate", b"\xf4\x90\x80\x80 past", b"\xe0\x80\x80",
        b"\xc2\xa9 ok", b"\xef\xbb\xbf BOM", b"NaN", b"Infinity", b"\xf0\x9f\x98\x80 smile"]
# Next to it: JSON values that are not objects (counted in C where its validation of a value
# is sure, else judged by orjson), broken values and objects (orjson judges).
NEAR_JUNK = [b"[1,2]", b'"a string"', b"-1", b"true", b"null", b'{"a":', b" {", b"[" * 1100,
             b' [1, {"a": [true, null, "x\\u00e9"]}]\r', b"-0.5e-3", b"0", b"1e400", b"[1,]",
             b"nul", b"truex", b'"caf\xc3\xa9"', b'"\\ud800"', b"01", b"[] []", b'"a\x00"',
             b"[" * 60 + b"]" * 60, b"99999999999999999999", b'["\\x"]']


def junk_mix(rng: random.Random, n: int) -> list[bytes]:
    """`n` lines: runs of junk among blank lines, task lines, CRLF ends and NEAR_JUNK."""
    tasks = [x for x in real_lines() if b"EXPORT_TASK" in x]
    lines: list[bytes] = []
    while len(lines) < n:
        pick = rng.random()
        if pick < 0.1:
            lines.append(rng.choice(tasks))
        elif pick < 0.15:
            lines.append(rng.choice(NEAR_JUNK))
        elif pick < 0.3:
            lines.append(rng.choice([b"", b" ", b"\r", b"\t\x0c"]))
        else:
            line = rng.choice(JUNK)
            lines += [line + b"\r" if rng.random() < 0.2 else line] * rng.choice([1, 2, 50])
    return lines


def test_runs_of_junk_read_the_same() -> None:
    rng = random.Random(15)
    for case in range(12):
        lines = junk_mix(rng, 600)
        data = b"\n".join(lines) + (b"\n" if case % 2 else b"")  # a last line without newline
        for chunk in (37, 1000, 1 << 20):
            result = assert_same(data, chunk=chunk)
            assert {"not_json", "invalid_utf8"} <= set(dict(result.report.skipped))
    # only junk: the examples are the first five lines, the rest counted in C
    data = b"\n".join(JUNK * 200) + b"\n"
    result = assert_same(data)
    assert [e.line for e in result.examples] == [1, 2, 3, 4, 5]


def test_junk_is_sorted_by_reason_as_bytes_decode_does() -> None:
    """count_skipped's UTF-8 check agrees with bytes.decode() on bytes at every edge of the
    encoding (overlong forms, surrogates, past U+10FFFF, sequences cut short)."""
    count = native.count_skipped
    assert count is not None
    rng = random.Random(8)
    edges = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
             0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
    points = [0x41, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF]

    def line() -> bytes:
        text = bytearray("".join(chr(rng.choice(points)) for _ in range(3)).encode())
        if rng.random() < 0.6:  # one byte changed, or the end cut off
            if rng.random() < 0.7:
                text[rng.randrange(len(text))] = rng.choice(edges)
            else:
                del text[-rng.randrange(1, 3):]
        return b"x" + bytes(text)

    lines = [line() for _ in range(20_000)]
    data = bytearray(b"\n".join(lines) + b"\n")

    def valid(line: bytes) -> bool:
        try:
            line.decode()
        except UnicodeDecodeError:
            return False
        return True

    good = sum(valid(line) for line in lines)
    assert 1000 < good < len(lines) - 1000
    assert count(data, 0, len(data) - 1, 0) == (0, good, len(lines) - good, 0, [])
    blank, not_json, invalid, values, firsts = count(data, 0, len(data) - 1, 3)
    assert (blank, not_json + invalid, values, len(firsts)) == (0, len(lines) - 3, 0, 3)
    assert [(i, bytes(data[s:e])) for i, s, e in firsts] == list(enumerate(lines[:3]))
    events, ids, missed, n = decode_buffer(data, 0, len(data), False)
    assert (events, missed, n) == ([], [(0, 0, len(data) - 1)], len(lines))
    for start, stop in ((0, len(data)), (-1, 4), (1, 0)):
        with pytest.raises(ValueError):
            count(data, start, stop, 0)
    for other in (b"{}", b"[1,]", b"[1] x"):  # a line the Python path must read
        with pytest.raises(ValueError):
            count(bytearray(b"x\n" + other + b"\n"), 0, len(other) + 2, 0)
    values = bytearray(b'x\n\n [1, {"a": null}]\r\n"s"\n-1.5e3\ntrue\n')
    assert count(values, 0, len(values) - 1, 1) == (1, 0, 0, 4, [(0, 0, 1)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(st.sampled_from(JUNK + NEAR_JUNK + [b"", b" "]),
                                st.binary(max_size=12).filter(lambda b: b"\n" not in b)),
                      max_size=80),
       crlf=st.booleans(), last_newline=st.booleans(), chunk=st.integers(1, 3000))
def test_random_junk_after_the_examples_reads_the_same(lines: list[bytes], crlf: bool,
                                                       last_newline: bool, chunk: int) -> None:
    """Six junk lines first (the examples), so that what follows is counted in C."""
    end = b"\r\n" if crlf else b"\n"
    data = end.join([b"junk"] * 6 + lines) + (end if last_newline else b"")
    assert_same(data, chunk=chunk)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3),
    max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.tuples(_JSON, st.integers(0, 2), st.integers(0, 10**6),
                                 st.sampled_from([b"", b" ", b",", b"]", b"\\", b"\x00", b"e"])),
                       max_size=40))
def test_json_values_and_their_mutations_read_the_same(
        values: list[tuple[object, int, int, bytes]]) -> None:
    """JSON values that are not objects are counted in C only where orjson would take them:
    random values, spaced or not, one byte of some changed, inserted or deleted."""
    lines = [b"junk"] * 6
    for value, mutation, at, byte in values:
        line = json.dumps(value, indent=None if at % 2 else 1).replace("\n", " ").encode()
        where = at % (len(line) + 1)
        if mutation == 1:
            line = line[:where] + byte + line[where:]
        elif mutation == 2:
            line = line[:where] + line[where + 1:]
        lines.append(line)
    assert_same(b"\n".join(lines) + b"\n")
