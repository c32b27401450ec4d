"""Bad lines, one kind per case, added to a copy of a real capture: each is skipped (or
ignored) and counted by its reason, every valid event is still used, the graph is unchanged."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowinsight.read.limits import CHUNK_BYTES, MAX_LINE_BYTES
from flowinsight.read.lines import TOO_LONG, LineBlocks
from robust_support import analyzed, copy_sample, export_dir, graph, ignored, read, report, skipped

TARGET = "event_EXPORT_TASK_5441.log"  # 12 valid lines of nested_tasks
VALID = 12


def with_lines(tmp_path: Path, insert: list[bytes], at: int = 4, tail: bytes = b"") -> Path:
    """nested_tasks with `insert` placed after line `at` of TARGET, and `tail` (no newline)
    appended to its end."""
    root = copy_sample(tmp_path)
    f = export_dir(root) / TARGET
    lines = f.read_bytes().splitlines()
    f.write_bytes(b"".join(line + b"\n" for line in lines[:at] + insert + lines[at:]) + tail)
    return root


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, tuple[object, ...]]:
    capture = read(copy_sample(tmp_path_factory.mktemp("clean")))
    assert capture.skipped_total == 0
    return len(capture.events), graph(analyzed(capture))


DEEP = b"[" * 1100 + b"]" * 1100
CASES: dict[str, tuple[list[bytes], dict[str, int], dict[str, int]]] = {
    # name: (lines inserted, skipped by reason, ignored by kind)
    "invalid_utf8": ([b'{"label":"task_submitted","x":"\xff\xfe"}', b"\xc3\x28", b"\xed\xa0\x80"],
                     {"invalid_utf8": 3}, {}),
    "binary_garbage": ([bytes(range(256)).replace(b"\n", b""), b"\x00\x00\x00", b"\x1b[31m"],
                       {"invalid_utf8": 1, "not_json": 2}, {}),
    "not_json": ([b"hello", b"{'single': 'quotes'}", b'{"a":1,}', b"{", b'{"a":1} {"b":2}',
                  b"NaN", b'{"n": Infinity}'], {"not_json": 7}, {}),
    "cut_in_the_middle": ([b'{"event_data":{"attempt_number":0,"job_id":"AQAA'],
                          {"not_json": 1}, {}),
    "too_deep": ([DEEP, b'{"label":"task_submitted","custom_fields":' + b'{"a":' * 1100 + b"1"
                  + b"}" * 1101], {"too_deep": 2}, {}),
    "not_an_object": ([b"[1,2]", b'"text"', b"42", b"null", b"true", b"[]"],
                      {"not_object": 6}, {}),
    "blank": ([b"", b"   ", b"\t", b"\r"], {}, {"blank": 4}),
    "valid_json_not_an_event": ([b"{}", b'{"label":"SOMETHING_ELSE"}', b'{"hello":"world"}',
                                 b'{"event_data":{},"source_type":"EXPORT_OTHER"}'],
                                {}, {"label:(none)": 2, "label:SOMETHING_ELSE": 1,
                                     "source:EXPORT_OTHER": 1}),
    "nul_escapes_are_fine_json": ([b'{"label":"x\\u0000y"}'], {}, {"label:x\x00y": 1}),
    "lone_surrogate_escape": ([b'{"label":"\\ud800"}'], {"not_json": 1}, {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_lines_are_counted_by_reason(tmp_path: Path, case: str,
                                         baseline: tuple[int, tuple[object, ...]]) -> None:
    insert, want_skipped, want_ignored = CASES[case]
    capture = read(with_lines(tmp_path, insert))
    assert (skipped(capture), ignored(capture)) == (want_skipped, want_ignored)
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    f = report(capture, TARGET)
    assert f.lines == VALID + len(insert)
    assert f.lines == f.events + f.skipped_total + sum(n for _, n in f.ignored)
    assert not f.truncated


def test_examples_name_file_line_and_reason(tmp_path: Path) -> None:
    capture = read(with_lines(tmp_path, [b"hello", DEEP, b"\xff"], at=2))
    assert [(e.path.rsplit("/", 1)[-1], e.line, e.reason) for e in capture.examples] == [
        (TARGET, 3, "not_json"), (TARGET, 4, "too_deep"), (TARGET, 5, "invalid_utf8")]


def test_a_cut_off_last_line_is_truncated(tmp_path: Path,
                                          baseline: tuple[int, tuple[object, ...]]) -> None:
    capture = read(with_lines(tmp_path, [], tail=b'{"event_data":{"attempt_nu'))
    assert skipped(capture) == {"truncated": 1}
    assert report(capture, TARGET).truncated
    assert (len(capture.events), graph(analyzed(capture))) == baseline


def test_a_complete_last_line_without_newline_is_used(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    f = export_dir(root) / TARGET
    f.write_bytes(f.read_bytes().rstrip(b"\n"))
    capture = read(root)
    assert (skipped(capture), report(capture, TARGET).events) == ({}, VALID)


def test_crlf_line_ends_and_a_byte_order_mark(tmp_path: Path,
                                              baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    for f in export_dir(root).iterdir():
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes().replace(b"\n", b"\r\n"))
    capture = read(root)
    assert (skipped(capture), ignored(capture)) == ({}, {})
    assert (len(capture.events), graph(analyzed(capture))) == baseline


def test_deep_but_legal_nesting_in_an_unused_field_keeps_the_event(tmp_path: Path) -> None:
    """1000 levels is within orjson's limit: the event is valid and must not be lost."""
    root = copy_sample(tmp_path)
    f = export_dir(root) / TARGET
    lines = f.read_bytes().splitlines()
    lines[0] = lines[0][:-1] + b',"junk":' + b"[" * 1000 + b"]" * 1000 + b"}"
    f.write_bytes(b"\n".join(lines) + b"\n")
    capture = read(root)
    assert (skipped(capture), report(capture, TARGET).events) == ({}, VALID)


def test_an_over_long_line_is_skipped_and_its_neighbours_kept(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    head = b'{"label":"padded","pad":"'
    exact = head + b"a" * (MAX_LINE_BYTES - len(head) - 2) + b'"}'
    assert len(exact) == MAX_LINE_BYTES
    capture = read(with_lines(tmp_path, [b"x" * (MAX_LINE_BYTES + 1), exact,
                                         b'{"label":"' + b"b" * (3 * MAX_LINE_BYTES) + b'"}']))
    # a line of exactly the cap is read (and ignored: an unknown label); longer ones are not
    assert (skipped(capture), ignored(capture)) == ({"too_long": 2}, {"label:padded": 1})
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    assert capture.examples[0].reason == "too_long" and capture.examples[0].line == 5


def test_an_over_long_line_is_never_held_whole(tmp_path: Path) -> None:
    """Reading a 64 MiB line peaks near the cap plus a chunk, not near the line."""
    f = tmp_path / "logs" / "events" / "event_GCS.log"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"{}\n" + b"z" * (64 << 20) + b"\n{}\n")
    tracemalloc.start()
    try:
        capture = read(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (skipped(capture), ignored(capture)) == ({"too_long": 1}, {"label:(none)": 2})
    assert peak < MAX_LINE_BYTES + 4 * CHUNK_BYTES, peak


def _reference(data: bytes, max_line: int) -> tuple[list[bytes], bool]:
    pieces = data.split(b"\n")
    tail = pieces.pop()
    if tail:
        pieces.append(tail)
    return [p if len(p) <= max_line else TOO_LONG for p in pieces], bool(tail)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=30), st.just(b"\n"), st.just(b"\n\n")),
                max_size=40),
       st.integers(min_value=3, max_value=40))
def test_line_blocks_split_like_bytes_split_with_a_cap(parts: list[bytes], max_line: int) -> None:
    """Chunks are min(chunk size, cap) here, so lines cross chunk boundaries in every way."""
    data = b"".join(parts)
    if data.startswith(b"\xef\xbb\xbf"):
        data = b"x" + data
    blocks = LineBlocks(io.BytesIO(data), max_line=max_line)
    got = [line for block in blocks for line in block]
    want, incomplete = _reference(data, max_line)
    assert got == want
    assert all(line is TOO_LONG for line, w in zip(got, want) if w is TOO_LONG)
    assert blocks.tail_incomplete == incomplete


def test_ignored_kinds_from_the_input_are_bounded(tmp_path: Path) -> None:
    """Labels are input: a file of a hundred made-up labels, or one huge label, cannot blow up
    the summary. The first 50 kinds are named, the rest counted as "(other)"."""
    lines = [b'{"label":"L%d"}' % i for i in range(100)] + [b'{"label":"' + b"x" * 500 + b'"}']
    f = tmp_path / "logs" / "events" / "event_GCS.log"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"\n".join(lines) + b"\n")
    kinds = ignored(read(tmp_path))
    assert len(kinds) == 51
    assert kinds["(other)"] == 51  # L50..L99 and the long one
    assert all(kinds[f"label:L{i}"] == 1 for i in range(50))
