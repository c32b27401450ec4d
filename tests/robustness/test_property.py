"""Property: junk mixed into a real capture changes nothing but the counts of junk.

Hypothesis draws lines that are certainly invalid (random bytes, cut-off lines, bytes that can
never be UTF-8, lines with a field of the wrong type, JSON that is not an object), certainly
ignored (blank lines, JSON objects that are no Ray event) or exact copies of real lines, and
puts them anywhere in a copy of a real capture. Reading it must not crash; the graph (nodes with
their stats, call and data flows, actors, jobs) must equal the clean one; and the counts must
be exact: skipped == invalid lines, ignored grows by the ignorable ones, duplicates == copies.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import sample
from flowinsight.render import RenderOptions, renderers
from robust_support import analyzed, graph, ignored, read

SAMPLES = ("nested_tasks", "sage_pipeline")
EVENT_KEYS = {"label", "event_data", "custom_fields"}
KNOWN_SOURCES = {"EXPORT_TASK", "EXPORT_ACTOR", "EXPORT_DRIVER_JOB", "EXPORT_NODE"}
REQUIRED_ID = {"EXPORT_TASK": "task_id", "EXPORT_ACTOR": "actor_id",
               "EXPORT_DRIVER_JOB": "job_id", "EXPORT_NODE": "node_id"}


@dataclass(frozen=True)
class Clean:
    files: tuple[tuple[str, tuple[bytes, ...]], ...]  # relative path, lines
    events: int
    ignored: int
    lines: int
    graph: tuple[Any, ...]

    @property
    def real_lines(self) -> list[bytes]:
        return [line for _, lines in self.files for line in lines]


@cache
def clean(name: str) -> Clean:
    root = sample(name)
    files = tuple((p.relative_to(root).as_posix(), tuple(p.read_bytes().splitlines()))
                  for p in sorted(root.rglob("event_*")) if p.is_file())
    capture = read(root)
    assert capture.skipped_total == 0 and capture.duplicates == 0
    return Clean(files, len(capture.events), sum(ignored(capture).values()),
                 sum(f.lines for f in capture.files), graph(analyzed(capture)))


# --- lines: each strategy yields (kind, line); kind is "skipped", "ignored" or "duplicate" ---

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def random_bytes() -> st.SearchStrategy[tuple[str, bytes]]:
    # 0xff can never occur in UTF-8: whatever follows, the line is invalid
    return st.binary(max_size=200).map(lambda b: ("skipped", b"\xff" + b.replace(b"\n", b"")))


def not_json_text() -> st.SearchStrategy[tuple[str, bytes]]:
    # no JSON value starts with '#'
    return st.text(max_size=80).map(
        lambda t: ("skipped", ("#" + t).encode().replace(b"\n", b" ").replace(b"\r", b" ")))


def json_not_an_object() -> st.SearchStrategy[tuple[str, bytes]]:
    return json_values.filter(lambda v: not isinstance(v, dict)).map(
        lambda v: ("skipped", orjson.dumps(v)))


def cut_off(line: bytes, at: int) -> bytes:
    """A strict prefix of a real line `{...}`: never a complete JSON value."""
    assert line.endswith(b"}")
    return line[: 1 + at % (len(line) - 1)]


def flipped(line: bytes, at: int, how: int) -> bytes:
    i = at % len(line)
    if how == 0:  # a byte turned into 0xf8..0xff: never UTF-8
        return line[:i] + bytes([0xF8 | (line[i] & 0x07)]) + line[i + 1:]
    return bytes([b"[x}"[how - 1]]) + line[1:]  # the opening brace broken


def wrong_type(line: bytes, where: int, value: Any) -> bytes:
    """A real Export API line with one field made certainly wrong."""
    obj = orjson.loads(line)
    source = obj["source_type"]
    if where == 0:
        obj["timestamp"] = value if isinstance(value, (list, dict, bool)) else "soon"
    elif where == 1:
        obj["event_data"] = [value]
    else:
        obj["event_data"][REQUIRED_ID[source]] = [value]
    return orjson.dumps(obj)


def ignorable() -> st.SearchStrategy[tuple[str, bytes]]:
    blank = st.sampled_from([b"", b" ", b"\t", b"   \r"])
    other_keys = st.dictionaries(st.text(max_size=10).filter(lambda k: k not in EVENT_KEYS),
                                 json_values, max_size=5)
    unknown_label = st.text(min_size=1, max_size=30).filter(
        lambda t: t not in {"task_submitted", "object_put", "object_get", "RAY_WORKER_FAILURE",
                            "RAY_DRIVER_FAILURE", "RAY_NODE_REMOVED", "Out of Memory",
                            "RAY_FATAL_CHECK_FAILED"}).map(lambda t: {"label": t})
    unknown_source = st.text(max_size=20).filter(lambda t: t not in KNOWN_SOURCES).map(
        lambda t: {"event_data": {}, "source_type": t, "timestamp": 1})
    objects = st.one_of(other_keys, unknown_label, unknown_source).map(orjson.dumps)
    return st.one_of(blank, objects).map(lambda b: ("ignored", b))


def from_real_line(real: list[bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    line = st.sampled_from(real)
    return st.one_of(
        st.tuples(line, st.integers(0, 10**6)).map(lambda a: ("skipped", cut_off(*a))),
        st.tuples(line, st.integers(0, 10**6), st.integers(0, 3)).map(
            lambda a: ("skipped", flipped(*a))),
        st.tuples(line, st.integers(0, 2), json_values).map(
            lambda a: ("skipped", wrong_type(*a))),
        line.map(lambda b: ("duplicate", b)),
    )


@st.composite
def injected(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str, bytes]], list[bytes]]:
    """A sample, injections (file index, position, kind, line), and cut-off tails per file."""
    name = draw(st.sampled_from(SAMPLES))
    base = clean(name)
    line = st.one_of(random_bytes(), not_json_text(), json_not_an_object(), ignorable(),
                     from_real_line(base.real_lines))
    n_files = len(base.files)
    spots = draw(st.lists(st.tuples(st.integers(0, n_files - 1), st.integers(0, 10**6), line),
                          max_size=25))
    tails = draw(st.lists(st.tuples(st.sampled_from(base.real_lines), st.integers(0, 10**6)),
                          min_size=n_files, max_size=n_files).map(
        lambda ts: [cut_off(t, at) if at % 4 == 0 else b"" for t, at in ts]))
    return name, [(f, p, kind, b) for f, p, (kind, b) in spots], tails


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(injected())
def test_junk_changes_nothing_but_the_counts(
        case: tuple[str, list[tuple[int, int, str, bytes]], list[bytes]]) -> None:
    name, spots, tails = case
    base = clean(name)
    want = {"skipped": sum(1 for _, _, k, _ in spots if k == "skipped") + sum(map(bool, tails)),
            "ignored": sum(1 for _, _, k, _ in spots if k == "ignored"),
            "duplicate": sum(1 for _, _, k, _ in spots if k == "duplicate")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        for index, (rel, lines) in enumerate(base.files):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            mine = [(p, b) for f, p, _, b in spots if f == index]
            if not mine and not tails[index]:
                target.symlink_to(sample(name) / rel)  # an untouched file: the original
                continue
            out = list(lines)
            for position, line in mine:
                out.insert(position % (len(out) + 1), line)
            body = b"".join(line + b"\n" for line in out) + tails[index]
            (root / rel).write_bytes(body)
        capture = read(root)
        result = analyzed(capture)
        assert renderers()["json"].render(result, RenderOptions())
    assert graph(result) == base.graph
    assert len(capture.events) == base.events
    assert capture.skipped_total == want["skipped"]
    assert sum(ignored(capture).values()) == base.ignored + want["ignored"]
    assert capture.duplicates == want["duplicate"]
    assert sum(f.lines for f in capture.files) == base.lines + len(spots) + sum(map(bool, tails))
    assert sum(f.truncated for f in capture.files) == sum(map(bool, tails))
