"""Reading in parallel gives exactly what reading in one process gives.

Files are read in groups by worker processes, each group reduced to a Partial, the Partials
merged in file order (flowinsight.read.parallel, flowinsight.pipeline.partial). Held here: the
JSON output is byte-identical to the one-process reading on every sample and on a generated
input of a few MB (with bad, blank, ignored and duplicated lines), through the API and through
the command line; the read account (skipped, ignored, duplicates) is the same; and Partials of
consecutive runs merge into the Partial of the whole run, however the run is cut.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
from array import array
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CAPTURES, DATA, ROOT, SAMPLES, cli, render, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.pipeline import Options, Reducer, analyze, analyze_partial, merge_partials
from flowinsight.pipeline.partial import reduce_events
from flowinsight.cli import main
from flowinsight.read import discover, forked, parallel, read_capture
from flowinsight.read.parallel import (
    MIN_BYTES_PER_JOB,
    LocalRunner,
    ReadStats,
    plan_groups,
    read_reduced,
)
from flowinsight.read import repeats
from flowinsight.read.repeats import Repeats, find_repeats
from flowinsight.switch import native_on

JOB = "01000000"
# what holds C to Python cannot run where the C is off or not written for (switch.py)
NO_NATIVE = "FLOWINSIGHT_NATIVE=0, or a Python the C extensions are not written for"


def one_process(*paths: Path, options: Options = Options()) -> tuple[ReadAccount, bytes]:
    capture = read_capture(discover([str(p) for p in paths]))
    return capture.account, render(analyze(capture, options), "json")


def in_parallel(*paths: Path, jobs: int = 2, options: Options = Options(),
                stats: ReadStats | None = None) -> tuple[ReadAccount, bytes]:
    account, reduced = read_reduced(discover([str(p) for p in paths]), Reducer(),
                                    jobs, min_bytes_per_job=0, stats=stats)
    return account, render(analyze_partial(reduced, account, options), "json")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few MB cut from the real scale_15k capture (each file's first lines, so that tasks
    still span the files of their submitter and executor), with junk mixed in: bad JSON,
    blank lines, a kind of event flowinsight ignores, a cut-off last line."""
    root = tmp_path_factory.mktemp("generated")
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        tar.extractall(root, filter="data")
    for path in sorted(root.rglob("event_*.log")):
        lines = path.read_bytes().splitlines(keepends=True)
        kept = lines[: max(1, len(lines) // 6)] if lines else []
        if "EXPORT_TASK" in path.name and kept:
            kept.insert(len(kept) // 2, b"{not json\n")
            kept.insert(len(kept) // 3, b"\n")
            kept.insert(1, b'{"event_data":{},"source_type":"EXPORT_SOMETHING_NEW"}\n')
        path.write_bytes(b"".join(kept))
    last = sorted(root.rglob("event_EXPORT_TASK_*.log"))[-1]
    last.write_bytes(last.read_bytes() + b'{"event_data":{"task_id":"AAAA')
    assert 2 << 20 < sum(p.stat().st_size for p in root.rglob("event_*")) < 12 << 20
    return root


@pytest.mark.parametrize("name", CAPTURES)
def test_every_sample_reads_the_same_in_parallel(name: str) -> None:
    stats = ReadStats()
    assert in_parallel(sample(name), stats=stats) == one_process(sample(name))
    assert stats.workers == 2 and stats.groups > 2 and not stats.exact_fallback


def test_the_seed_session_and_several_nodes_read_the_same_in_parallel() -> None:
    seed = DATA / "seed_session"
    assert in_parallel(seed) == one_process(seed)
    several = (sample("nested_tasks"), sample("lattice_workflow"), seed)
    assert in_parallel(*several, jobs=3) == one_process(*several)


def test_a_generated_input_of_a_few_mb_reads_the_same_with_any_number_of_jobs(
        generated: Path) -> None:
    account, doc = one_process(generated)
    assert account.skipped_total >= 3 and any(f.ignored for f in account.files)
    for jobs in (1, 2, 3):
        stats = ReadStats()
        assert in_parallel(generated, jobs=jobs, stats=stats) == (account, doc)
        assert not stats.exact_fallback
    job = Options(job=JOB, group_by="class", focus="*")
    assert in_parallel(generated, options=job) == one_process(generated, options=job)


def test_the_command_line_gives_the_same_bytes_for_any_jobs(generated: Path) -> None:
    outputs = {}
    for jobs in ("1", "2", "0"):
        done = cli("export", str(generated), "--format", "json", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        outputs[jobs] = (done.stdout, done.stderr)
    assert outputs["1"] == outputs["2"] == outputs["0"]
    assert b"skipped" in outputs["1"][1]  # the warnings on stderr are the same too


def test_duplicated_files_are_counted_exactly(tmp_path: Path) -> None:
    """A copy of a file under a rotated name repeats every event id: each counted once, in the
    parallel read itself (no exact re-read)."""
    root = tmp_path / "capture"
    shutil.copytree(sample("sage_pipeline"), root)
    export = next(root.rglob("export_events"))
    task_file = max(export.glob("event_EXPORT_TASK_*.log"), key=lambda p: p.stat().st_size)
    shutil.copy(task_file, task_file.with_name(task_file.name + ".1"))
    stats = ReadStats()
    account, doc = in_parallel(root, stats=stats)
    assert not stats.exact_fallback and stats.duplicates == account.duplicates > 0
    assert (account, doc) == one_process(root)


def test_duplicates_in_groups_far_apart_are_found(tmp_path: Path) -> None:
    """The same file under logs/events and logs/export_events: files that sort far apart,
    read by different groups."""
    root = tmp_path / "capture"
    shutil.copytree(sample("sage_pipeline"), root)
    export = next(root.rglob("export_events"))
    task_file = max(export.glob("event_EXPORT_TASK_*.log"), key=lambda p: p.stat().st_size)
    shutil.copy(task_file, export.parent / "events" / task_file.name)
    stats = ReadStats()
    account, doc = in_parallel(root, jobs=3, stats=stats)
    assert stats.groups > 4 and not stats.exact_fallback
    assert stats.duplicates == account.duplicates > 0
    assert (account, doc) == one_process(root)


def doubled(tmp_path: Path, name: str) -> Path:
    """A copy of a sample with every event file there twice (a rotated copy beside it)."""
    root = tmp_path / "capture"
    shutil.copytree(sample(name), root)
    for path in sorted(p for p in root.rglob("event*") if p.is_file()):
        shutil.copy(path, path.with_name(path.name.replace(".", ".1.", 1)))
    return root


@pytest.mark.parametrize(("name", "jobs", "held"), [
    ("call_sites/sage_pipeline", 1, ("puts", "gets", "call_sites", "actor_updates")),
    ("call_sites/sage_pipeline", 3, ("puts", "gets", "call_sites", "job_updates")),
    ("libraries/retries_recorded", 2, ("failure_notes", "puts")),
    ("libraries/data_recorded", 2, ("dataset_events", "actor_updates", "gets")),
])
def test_every_kind_of_event_read_twice_counts_once(tmp_path: Path, name: str, jobs: int,
                                                    held: tuple[str, ...]) -> None:
    """The object puts and gets, call sites, failure notes, actors, jobs and datasets (kept
    as they are, not merged) each once, task updates merged as once: the exact read's answer,
    without it; in one group (jobs=1) or several."""
    root = doubled(tmp_path, name)
    stats = ReadStats()
    account, doc = in_parallel(root, jobs=jobs, stats=stats)
    want_account, want_doc = one_process(root)
    assert not stats.exact_fallback
    assert account.duplicates == stats.duplicates == want_account.duplicates
    assert account.events == want_account.events == account.duplicates  # each file twice
    assert (account, doc) == (want_account, want_doc)
    reduced = read_reduced(discover([str(root)]), Reducer(), jobs, min_bytes_per_job=0)[1]
    assert all(getattr(reduced, h) for h in held)
    assert len(reduced.puts) == len({p.event_id for p in reduced.puts})


def test_events_read_twice_give_the_same_bytes_without_the_extension(tmp_path: Path) -> None:
    root = doubled(tmp_path, "recorded/lattice_workflow")
    runs = [subprocess.run([sys.executable, "-m", "flowinsight", "export", str(root), "-j", "2"],
                           capture_output=True, cwd=ROOT, env={**os.environ, **env}, check=True)
            for env in ({}, {"FLOWINSIGHT_NATIVE": "0"})]
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert b"appeared more than once" in runs[0].stderr


def test_an_id_repeated_with_other_content_is_judged_by_its_events(tmp_path: Path) -> None:
    """Same id, another line: the exact read keeps both (its rule compares contents); the
    parallel read judges those ids from their lines' events, reading only the files that hold
    them again (repeat_lines.judge), never the whole input."""
    root = doubled(tmp_path, "sage_pipeline")
    export = next(root.rglob("export_events"))
    copy = max(export.glob("event_EXPORT_TASK_*.1.log"), key=lambda p: p.stat().st_size)
    lines = copy.read_bytes().splitlines(keepends=True)
    assert lines[0].startswith(b'{"') and b'"attempt_number":0' in lines[1]
    lines[0] = b'{ "' + lines[0][2:]  # the same event, written otherwise: a duplicate
    lines[1] = lines[1].replace(b'"attempt_number":0', b'"attempt_number":1', 1)  # another
    copy.write_bytes(b"".join(lines))
    stats = ReadStats()
    account, doc = in_parallel(root, stats=stats)
    want_account, want_doc = one_process(root)
    # every event twice, but one: kept twice; the one written otherwise is a duplicate
    assert not stats.exact_fallback and want_account.duplicates == want_account.events - 2
    assert stats.judged_files == 2  # the task file and its copy
    assert (account, doc) == (want_account, want_doc)


def test_a_nameless_function_read_twice_counts_once(tmp_path: Path) -> None:
    """A function ref without a name is replaced by the next one (tasks._add_function): merged
    again after another, it would come back. The exact read keeps the other, and so does the
    parallel read without it. (The C decoder declines such a line: the Python path keeps the
    ref aside, in the Partial's `fragile`, until the repeats are known.)"""
    root = tmp_path / "capture"
    shutil.copytree(sample("nested_tasks"), root)
    export = next(root.rglob("export_events"))
    task_file = max(export.glob("event_EXPORT_TASK_*.log"), key=lambda p: p.stat().st_size)
    line = next(raw for raw in task_file.read_bytes().splitlines()
                if b'"NORMAL_TASK"' in raw and b'"func_or_class_name"' in raw)
    def variant(event_id: bytes, function: bytes) -> bytes:
        named = re.sub(rb'"func_or_class_name":"[^"]*"', b'"func_or_class_name":"' + function
                       + b'"', line)
        return re.sub(rb'"event_id":"[^"]*"', b'"event_id":"' + event_id + b'"', named)

    assert line.count(b'"event_id":"') == 1
    # a task of its own: its first byte changed
    task_id = re.search(rb'(?<!_)"task_id":"([^"]*)"', line)
    assert task_id is not None
    raw = base64.b64decode(task_id.group(1))
    line = line.replace(task_id.group(0), b'"task_id":"' + base64.b64encode(
        bytes([raw[0] ^ 0x55]) + raw[1:]) + b'"')
    first, later = variant(b"a" * 36, b"first."), variant(b"b" * 36, b"later.")
    (export / "event_EXPORT_TASK_a.log").write_bytes(first + b"\n" + later + b"\n")
    (export / "event_EXPORT_TASK_b.log").write_bytes(first + b"\n")
    stats = ReadStats()
    account, doc = in_parallel(root, stats=stats)
    assert not stats.exact_fallback and account.duplicates == 1
    assert (account, doc) == one_process(root)


def pairs(*keys: tuple[int, int]) -> array[int]:
    return array("Q", [v for key in keys for v in key])


@pytest.mark.parametrize("native", [True, False])
def test_repeats_are_found_across_and_within_files(native: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every occurrence of an id but the first is counted in its file; ids repeated with other
    lines are left to be judged by their events (conflicts)."""
    if not native:
        monkeypatch.setattr(repeats, "digest_functions", None)
    top = (1 << 64) - 1
    assert find_repeats([pairs((1, 9), (5, 9), (top, 3)), pairs((2, 9), (6, 9)), array("Q")]) \
        == Repeats(frozenset(), (0, 0, 0))
    assert find_repeats([pairs((1, 9), (top, 3)), pairs((2, 9), (top, 3), (top, 3)),
                         pairs((1, 9))]) == Repeats(frozenset({1, top}), (0, 2, 1))
    assert find_repeats([pairs((7, 1), (7, 1), (7, 1))]) == Repeats(frozenset({7}), (2,))
    assert find_repeats([pairs((7, 1)), pairs((8, 1), (7, 2))]) \
        == Repeats(frozenset(), (0, 0), frozenset({7}))
    assert find_repeats([pairs((7, 1), (9, 4)), pairs((9, 4), (7, 2))]) \
        == Repeats(frozenset({9}), (0, 1), frozenset({7}))
    many = [pairs(*((k, k) for k in range(i, 40000, 7))) for i in range(7)]
    assert find_repeats(many) == Repeats(frozenset(), (0,) * 7)
    assert find_repeats([*many, pairs((39999, 39999))]) == Repeats(frozenset({39999}),
                                                                   (0,) * 7 + (1,))
    assert find_repeats([]) == Repeats(frozenset(), ())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, (1 << 64) - 1) | st.integers(0, 50), max_size=40),
                max_size=6))
def test_repeated_ids_in_c_as_in_python(lists: list[list[int]]) -> None:
    values = array("Q", [v for values in lists for v in values])
    want = {v for v in values if values.count(v) > 1}
    assert repeats.repeated_ids(values) == want
    saved = repeats.digest_functions
    repeats.digest_functions = None
    try:
        assert repeats.repeated_ids(values) == want
    finally:
        repeats.digest_functions = saved


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.floats(0, 1), max_size=6), name=st.sampled_from(CAPTURES))
def test_partials_of_consecutive_runs_merge_into_the_partial_of_the_whole(
        cuts: list[float], name: str) -> None:
    capture = read_capture(discover([str(sample(name))]))
    events = capture.events
    points = sorted({0, len(events), *(int(c * len(events)) for c in cuts)})
    runs = [events[a:b] for a, b in zip(points, points[1:])]
    merged = merge_partials(reduce_events(run) for run in runs)
    whole = reduce_events(events)
    assert merged.tasks == whole.tasks and list(merged.tasks) == list(whole.tasks)
    assert render(analyze_partial(merged, capture.account), "json") == render(
        analyze_partial(whole, capture.account), "json")


def test_groups_are_consecutive_files_that_never_mix_homes() -> None:
    sources = discover([str(sample("sage_pipeline"))])
    sizes = [s.path.stat().st_size for s in sources]
    groups = plan_groups(sources, sizes, 4)
    assert [s for g in groups for s in g] == sources and all(groups)
    homes = plan_groups(sources, sizes, 1, lambda s: "events" if "/events/" in s.display else "x")
    assert len(homes) == 2 and {("/events/" in s.display) for s in homes[0]} == {True}
    assert LocalRunner(1).home(sources[0]) == ""


def test_reading_never_imports_ray() -> None:
    code = ("import sys; from flowinsight.cli import main; "
            f"code = main(['export', {str(sample('nested_tasks'))!r}, '-o', '/dev/null', "
            "'--jobs', '2']); assert code == 0, code; assert 'ray' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_engine_ray_without_ray_is_a_one_line_error(tmp_path: Path) -> None:
    """As on a fresh install without the extra: `import ray` fails."""
    blocker = tmp_path / "ray.py"
    blocker.write_text("raise ImportError('No module named ray')\n")
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
         "from flowinsight.cli import run; sys.argv = ['flowinsight', 'analyze', "
         f"{str(sample('nested_tasks'))!r}, '--engine', 'ray']; run()"],
        capture_output=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "flowinsight: error: --engine ray needs Ray: pip install 'flowinsight[ray]' "
        "(No module named ray)"]


@pytest.mark.skipif(not native_on(), reason=NO_NATIVE)
@pytest.mark.parametrize("name", [*CAPTURES, "generated"])  # one test each: run in parallel
def test_the_native_code_changes_no_byte_of_any_output(name: str,
                                                       request: pytest.FixtureRequest) -> None:
    """With the C parts (the decoder of EXPORT_TASK lines, flowinsight.read.native; the
    analysis's facts, sweep and critical path, _sweep in native/) and without them
    (FLOWINSIGHT_NATIVE=0): the same JSON, the same trace (every attempt) and the same
    warnings, on every sample and on the generated input with its junk lines, also with
    --group-by class and a time window. Both are built here, so both paths ran."""
    from flowinsight.pipeline.native import sweep_module
    from flowinsight.read.native import decode_task_line

    assert decode_task_line is not None and sweep_module is not None
    path = request.getfixturevalue("generated") if name == "generated" else sample(name)
    for args in (("--format", "json"), ("--format", "trace"),
                 ("--format", "json", "--group-by", "class", "--since", "0.5")):
        runs = [cli("export", str(path), *args, "--jobs", "2", env=env)
                for env in ({}, {"FLOWINSIGHT_NATIVE": "0"})]
        assert runs[0].returncode == runs[1].returncode == 0, runs[0].stderr
        assert (runs[0].stdout, runs[0].stderr) == (runs[1].stdout, runs[1].stderr), path


@pytest.mark.skipif(not native_on(), reason=NO_NATIVE)
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(st.characters(blacklist_categories=())), st.none(),
                          st.integers(), st.just("")), max_size=40))
def test_the_c_event_id_digests_are_the_python_ones(ids: list[object]) -> None:
    """The parallel reader's digests of event ids (repeats are found by them) from C equal
    event_id_digest's, surrogates and all; the sort says exactly whether one repeats."""
    from flowinsight.read.native import digest_functions
    from flowinsight.read.parallel import event_id_digest

    assert digest_functions is not None
    digests, sort = digest_functions
    got = array("Q")
    got.frombytes(digests(ids))
    want = [event_id_digest(i) for i in ids if type(i) is str and i]
    assert list(got) == want
    packed, repeated = sort(got.tobytes())
    ordered = array("Q")
    ordered.frombytes(packed)
    assert list(ordered) == sorted(want) and repeated == (len(set(want)) != len(want))


def test_a_worker_killed_under_the_read_is_one_line_and_status_3(
        generated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = parallel.read_group

    def killed_on_the_second_group(index: int, *args: Any) -> Any:
        if index == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(index, *args)

    monkeypatch.setattr(parallel, "read_group", killed_on_the_second_group)
    # the forked workers, which inherit the patch (this process may run other threads: pytest's)
    monkeypatch.setattr(parallel, "fork_available", lambda: True)
    assert sum(p.stat().st_size for p in generated.rglob("event_*")) > 2 * MIN_BYTES_PER_JOB
    assert main(["export", str(generated), "--format", "json", "--jobs", "2"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.fullmatch(
        r"flowinsight: error: a reading worker \(pid \d+\) ended by SIGKILL \(out of memory\? "
        r"try --jobs 1\) before it had read its files", err[0]), err


def test_where_fork_is_not_used_a_spawn_pool_reads_the_same(
        generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = in_parallel(generated, jobs=1)
    monkeypatch.setattr(parallel, "fork_available", lambda: False)
    stats = ReadStats()
    assert in_parallel(generated, jobs=2, stats=stats) == expected
    assert stats.workers == 2 and stats.groups > 2
    assert os.getpid() not in stats.worker_peak_rss_kb  # read in the spawned workers


def test_with_another_thread_running_the_workers_are_spawned_not_forked(
        generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a notebook's kernel runs threads of its own: a child forked then could inherit a lock
    # another thread held (Python 3.12+ warns): the read spawns its workers instead
    expected = in_parallel(generated, jobs=1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert not forked.fork_available()

        def no_fork() -> int:
            raise AssertionError("forked with another thread running")

        monkeypatch.setattr(os, "fork", no_fork)
        stats = ReadStats()
        assert in_parallel(generated, jobs=2, stats=stats) == expected
        assert stats.workers == 2 and os.getpid() not in stats.worker_peak_rss_kb
    finally:
        stop.set()
        other.join()
