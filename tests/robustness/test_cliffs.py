"""Inputs that once cost far more than their size: runs of blank or junk lines (each line went
through the Python path), thousands of distinct `task::<name>` spans in one attempt (every
grown tuple of names kept: 2.5 GB for a 240 kB line). The answers are exact; memory is checked
with generous bounds in a subprocess (its VmHWM); times are measured by bench/bad_input.py, not
asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import ROOT, with_native
from flowinsight.pipeline.partial import reduce_events
from flowinsight.read import event_file, native
from flowinsight.pipeline.tasks import MAX_NAMED_SPANS
from robust_support import ignored, new_session, normal_task, read, skipped, write_lines

sys.path.insert(0, str(ROOT / "bench"))
from bad_input import make_spans, task_line  # noqa: E402

T0 = 1795312000_000_000_000


def blank_mix() -> bytes:
    """Events between runs of blank lines of every kind: empty, CRLF, spaces and tabs."""
    parts = [b"\n" * 5000]
    for i in range(1, 301):
        parts.append(task_line(i) + (b"\r\n" if i % 3 else b"\n"))
        parts.append([b"", b"\n", b"\r\n", b" \t \r\n\n\n", b"\n" * 3000, b"  \n"][i % 6])
    parts.append(b"\n" * 70000 + task_line(301))  # the last line without its newline
    return b"".join(parts)


def expected_blank(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n")[:-1] if not line.strip())


def test_blank_lines_are_counted_exactly_in_every_path(tmp_path: Path) -> None:
    data = blank_mix()
    root = new_session(tmp_path)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_1.log", [data], end=b"")
    capture = read(root)
    lines = data.count(b"\n") + 1
    assert (len(capture.events), skipped(capture)) == (301, {})
    assert ignored(capture) == {"blank": expected_blank(data)}
    assert capture.files[0].lines == lines
    # the Python path (no extension) and the parallel reader (batches) count the same
    code = ("import sys; sys.path.insert(0, 'tests'); sys.path.insert(0, 'tests/robustness');"
            "from robust_support import read, ignored;"
            f"c = read({str(root)!r}); print(len(c.events), ignored(c), c.files[0].lines)")
    assert with_native(False, code).decode() == \
        f"301 {dict(blank=expected_blank(data))} {lines}\n"
    proc = subprocess.run([sys.executable, "-m", "flowinsight", "export", str(root), "-j", "2"],
                          capture_output=True, cwd=ROOT, check=True, timeout=120)
    summary = orjson.loads(proc.stdout)["summary"]
    assert summary["ignored"]["blank"] == expected_blank(data)


def python_lines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the lines the reader hands to its Python path (one per line, where the C
    decoder does not take a run on); skips the test where the C decoder is not built."""
    if native.decode_buffer is None:
        pytest.skip("the C decoder is not built")
    calls = [0]
    real = event_file._FileState.python_line

    def counted(self: event_file._FileState, raw: bytes, at_tail: bool) -> None:
        calls[0] += 1
        real(self, raw, at_tail)

    monkeypatch.setattr(event_file._FileState, "python_line", counted)
    return calls


def test_runs_of_blank_lines_cost_no_python_per_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The C decoder declines a run of blank lines as one range: the Python path is taken for
    a handful of lines, not for each of the 80,000 blank ones."""
    calls = python_lines(monkeypatch)
    data = blank_mix()
    root = new_session(tmp_path)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_1.log", [data], end=b"")
    assert ignored(read(root)) == {"blank": expected_blank(data)}
    assert expected_blank(data) > 80000 and calls[0] < 1000


def test_a_file_of_newlines_is_blank_not_an_event(tmp_path: Path) -> None:
    root = new_session(tmp_path)
    (root / "logs" / "events" / "event_GCS.log").write_bytes(b"\n" * (3 << 20))
    proc = subprocess.run([sys.executable, "-m", "flowinsight", "analyze", str(root), "-j", "1"],
                          capture_output=True, cwd=ROOT, check=False, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode() == ("flowinsight: error: no Ray event in the input: 1 file(s), "
                                    f"{3 << 20} line(s), every line blank\n")


def spans_line(n: int) -> bytes:
    spans = [{"event_name": f"task::f{i}", "start_time": T0 + i, "end_time": T0 + i + 1}
             for i in range(n)]
    spans.append({"event_name": "task:execute", "start_time": T0, "end_time": T0 + 10**6})
    return task_line(1, 0, spans)


def test_an_attempt_keeps_its_first_named_spans_and_the_others() -> None:
    from flowinsight.read.capture import parse_line

    event = parse_line(spans_line(3000))
    attempt = reduce_events([event]).tasks[normal_task(1)].attempts[0]
    want = tuple(f"task::f{i}" for i in range(MAX_NAMED_SPANS)) + ("task:execute",)
    assert attempt.span_names == want
    assert attempt.span(want[-1]) == (T0, T0 + 10**6)
    # the Python records (the extension off) keep the same
    code = ("from flowinsight.read.capture import parse_line;"
            "from flowinsight.pipeline.partial import reduce_events;"
            "import sys; e = parse_line(sys.stdin.buffer.read());"
            "print(reduce_events([e]).tasks[e.task_id].attempts[0].span_names)")
    assert with_native(False, code, spans_line(3000)).decode().strip() == repr(want)


def test_thirty_thousand_span_names_in_one_line_stay_small(tmp_path: Path) -> None:
    make_spans(tmp_path, 30000)
    # the peak of the child's own memory (VmHWM: of its address space since exec), not
    # ru_maxrss, which Linux carries over exec from the pytest worker it was spawned from
    code = ("import re, sys; from flowinsight.cli import main;"
            f"code = main(['export', {str(tmp_path)!r}, '-j', '1', '-o', '/dev/null']);"
            "kb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1];"
            "print(code, int(kb) // 1024)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT,
                          check=True, timeout=300)
    status, peak_mb = proc.stdout.split()
    assert status == b"0"
    assert int(peak_mb) < 400, proc.stdout  # was 2.5 GB


def test_a_task_of_thousands_of_attempts_merges_as_few_do(tmp_path: Path) -> None:
    """Attempts out of order, repeated in a second file, past the size where they are
    indexed: every attempt once, in the order first seen, the same in C and in Python (the
    speed of 50,000 is measured by bench/bad_input.py)."""
    order = list(range(0, 3000, 2)) + list(range(2999, 0, -2))
    first = [task_line(1, a, states={"PENDING_ARGS_AVAIL": T0 + 10 * a}) for a in order]
    second = [task_line(1, a, states={"RUNNING": T0 + 10 * a + 1, "FAILED": T0 + 10 * a + 2})
              for a in reversed(order)]
    root = new_session(tmp_path)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_1.log", first)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_2.log", second)
    code = ("import sys; sys.path.insert(0, 'tests'); sys.path.insert(0, 'tests/robustness');"
            "from robust_support import read, normal_task;"
            "from flowinsight.pipeline.partial import reduce_events;"
            f"t = reduce_events(read({str(root)!r}).events).tasks[normal_task(1)];"
            "print([(a.number, a.state_keys.hex()) for a in t.attempts])")
    native_on, native_off = with_native(True, code), with_native(False, code)
    assert native_on == native_off
    got = eval(native_on)  # noqa: S307 (our own repr)
    assert [n for n, _ in got] == order
    assert len({keys for _, keys in got}) == 1  # every attempt merged from both files
    proc = subprocess.run([sys.executable, "-m", "flowinsight", "export", str(root), "-j", "2"],
                          capture_output=True, cwd=ROOT, check=True, timeout=300)
    assert orjson.loads(proc.stdout)["summary"]["tasks"] >= 1


class _CountingAttempts:
    """Task.attempts, counting the attempts of every tuple assigned to it: the copying that
    growing a task's attempts costs (one more each time: quadratic)."""

    def __init__(self, slot: Any) -> None:
        self.slot, self.copied = slot, 0

    def __get__(self, task: Any, kind: Any = None) -> Any:
        return self if task is None else self.slot.__get__(task, kind)

    def __set__(self, task: Any, value: tuple[Any, ...]) -> None:
        self.copied += len(value)
        self.slot.__set__(task, value)


@pytest.mark.parametrize("n", [2000, 8000])
def test_the_attempts_of_a_task_of_many_are_copied_a_bounded_number_of_times(
        n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python records (the reference, and all of them under FLOWINSIGHT_NATIVE=0): a task
    retried n times, its updates merged one by one and then a later table's merged into it,
    copies each attempt a few times, not n/2 times (50,000 attempts took 10 s). The C twin
    (native/merge_updates.c) is timed by bench/bad_input.py attempts."""
    from flowinsight.pipeline import tasks

    capture = read_lines([task_line(1, a, states={"PENDING_ARGS_AVAIL": T0 + a})
                          for a in range(n)])
    later = read_lines([task_line(1, a, states={"RUNNING": T0 + a + 1})
                        for a in reversed(range(n + 50))])
    counting = _CountingAttempts(tasks.Task.__dict__["attempts"])
    monkeypatch.setattr(tasks.Task, "attempts", counting)
    table = tasks.merge_tasks_python(capture, {})
    later_table = tasks.merge_tasks_python(later, {})
    assert counting.copied < 3 * (2 * n + 50)  # (was n * n / 2 and more)
    counting.copied = 0
    tasks.merge_task_tables_python(table, later_table)
    assert counting.copied < 3 * (2 * n + 50)
    attempts = table[normal_task(1)].attempts
    assert [a.number for a in attempts] == [*range(n), *range(n + 49, n - 1, -1)]


def read_lines(lines: list[bytes]) -> list[Any]:
    from flowinsight.read.capture import parse_line

    return [parse_line(line) for line in lines]


@pytest.mark.long
def test_an_archive_of_many_empty_members_is_not_held_whole(tmp_path: Path) -> None:
    """Each member's result goes on as soon as it is read, and an empty one is kept as its
    report alone: Python's allocations for 50,000 empty members stay near their reports'
    (they were 27 MB: every result held, then sorted). bench/bad_input.py measures a million
    (under 30 s and 400 MB)."""
    import tracemalloc

    from bad_input import make_members

    make_members(tmp_path, 50000)
    tracemalloc.start()
    try:
        capture = read(tmp_path / "capture.tar.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (len(capture.files), len(capture.events)) == (50001, 1)
    assert peak < 18 << 20, peak >> 20


# Junk: lines that are not a JSON object and start with a byte no JSON text starts with; and
# JSON values that are not objects
JUNK = [b"hello", b"\xff\xfe\x00garbage", b"# comment\r", b"\x00" * 9, b"key=value", b"\xc3(",
        b"[1, 2]", b' "text"\r', b"-17.5"]


def junk_mix() -> bytes:
    """Events between runs of junk and blank lines, a few JSON values that are not objects
    and broken objects among them, the last line junk without its newline."""
    parts = [task_line(1), b"hello", b"", b"\xff\xfe not utf-8", b"[1,2]", b'{"a":', b"  #\r"]
    for i in range(2, 302):
        parts.append(task_line(i))
        parts += [JUNK[i % len(JUNK)]] * (1 + i * 37 % 400) + [b""] * (i % 3)
        parts += [b"\x00junk"] * (i % 2)
    parts += [b"17", b'"text"', b"", b"tail junk"]
    return b"\n".join(parts)


def expected_skips(data: bytes) -> dict[str, int]:
    """What each line is, judged alone: JSON (an event, or a value that is not an object), or
    not (as UTF-8 or not); the last line, without its newline, is truncated."""
    lines = data.split(b"\n")
    out: dict[str, int] = {"truncated": 1}
    for line in lines[:-1]:
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:
                line.decode()
                reason = "not_json"
            except UnicodeDecodeError:
                reason = "invalid_utf8"
        else:
            if isinstance(value, dict):
                continue
            reason = "not_object"
        out[reason] = out.get(reason, 0) + 1
    return out


def test_junk_lines_are_counted_exactly_and_cost_no_python_per_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of junk are counted in C by the reason the Python path gives each line, with the
    same examples (file, line, reason, orjson's detail): the Python path is taken for the
    examples and the lines that need orjson's judgement, not for each of 60,000 junk ones."""
    calls = python_lines(monkeypatch)
    data = junk_mix()
    root = new_session(tmp_path)
    path = write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_1.log", [data],
                       end=b"")
    capture = read(root)
    want = expected_skips(data)
    assert min(want["not_json"], want["invalid_utf8"], want["not_object"]) > 10000
    assert (len(capture.events), skipped(capture)) == (301, want)
    assert ignored(capture) == {"blank": sum(1 for x in data.split(b"\n") if not x.strip())}
    assert capture.files[0].lines == data.count(b"\n") + 1
    shown = f"{root.name}/logs/export_events/{path.name}"
    assert [(e.path.endswith(shown), e.line, e.reason, e.detail) for e in capture.examples] == [
        (True, 2, "not_json", "unexpected character, expected a JSON value"),
        (True, 4, "invalid_utf8", "str is not valid UTF-8"),
        (True, 5, "not_object", "a JSON list, not an object"),
        (True, 6, "not_json", "unexpected end of data"),
        (True, 7, "not_json", "unexpected character, expected a JSON value"),
    ]
    assert calls[0] < 20  # was one per line: ~60,000
    # the Python path (no extension) counts the same, with the same examples
    code = ("import sys; sys.path.insert(0, 'tests'); sys.path.insert(0, 'tests/robustness');"
            "from robust_support import read, ignored, skipped;"
            f"c = read({str(root)!r}); print(len(c.events), skipped(c), ignored(c),"
            "[(e.line, e.reason, e.detail) for e in c.examples])")
    assert with_native(False, code).decode() == (
        f"301 {skipped(capture)} {ignored(capture)} "
        f"{[(e.line, e.reason, e.detail) for e in capture.examples]}\n")
