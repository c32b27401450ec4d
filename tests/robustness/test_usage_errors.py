"""Wrong usage is exit 2 with one line that says what exists, never an empty answer that passes:
a --job or --focus that matches nothing, input without a Ray event, several Ray sessions, a
time that is not one, a capture that is incomplete where a comparison needs it whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from conftest import sample
from flowinsight.cli import main
from robust_support import copy_sample, export_dir, session_of

NESTED = str(sample("nested_tasks"))
SAGE = str(sample("sage_pipeline"))
ENTRY = "01000000 (/home/user/venv/bin/python nested_tasks.py)"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("job", ["zz", "02000000", "0100"])
def test_a_job_that_matches_nothing_lists_the_jobs(capsys: pytest.CaptureFixture[str],
                                                   job: str) -> None:
    code, out, err = run(capsys, "analyze", NESTED, "--job", job, "-j", "1")
    assert (code, out) == (2, "")
    assert err == (f"flowinsight: error: --job {job}: no such job in the input; the input "
                   f"holds 1 job(s): {ENTRY}\n")


def test_the_jobs_listed_are_told_apart_by_their_entrypoints_ends(
        capsys: pytest.CaptureFixture[str]) -> None:
    """tests/data/jobs_submitted: seven `ray job submit` entrypoints that differ only in the
    script's argument, after a long shared path. Cut at their end, they all read
    `.../workloads/explore4…`; the line keeps each one's end."""
    from conftest import DATA

    code, _, err = run(capsys, "analyze", str(DATA / "jobs_submitted"), "--job", "3")
    assert code == 2
    listed = err.split("holds 8 job(s): ")[1].rstrip("\n").split(", ")
    assert listed[0] == "01000000"
    assert [entry.split(" (")[0] for entry in listed[1:]] == [f"0{n}000000" for n in range(2, 9)]
    assert [entry.rsplit("explore4_job.py ", 1)[1] for entry in listed[1:]] == [
        "make)", "use)", "fail)", "sleep)", "use)", "kill)", "truth)"]
    assert all(len(entry) == len("02000000 ()") + 80 for entry in listed[1:])


def test_check_of_a_job_that_is_not_there_does_not_pass(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", NESTED, "--job", "02000000", "--max-failures", "0")
    assert code == 2 and "no such job" in err and "hold" not in out


def test_the_job_that_is_there_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "export", NESTED, "--job", "01000000", "-j", "1", "-o", "/dev/null")[0] \
        == 0


def test_a_focus_that_matches_nothing_names_the_nearest_nodes(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", NESTED, "--focus", "consme", "-j", "1")
    assert (code, out) == (2, "")
    assert err == "flowinsight: error: --focus consme: matches no node; the nearest node " \
                  "names: consume\n"
    code, _, err = run(capsys, "export", NESTED, "--focus", "no_such_node", "-j", "1")
    assert code == 2 and err.startswith("flowinsight: error: --focus no_such_node: matches no "
                                        "node; ")


@pytest.mark.parametrize(("content", "why"), [
    (b"root:x:0:0:root:/root:/bin/bash\n", "1 line(s), 1 not_json skipped"),
    (b"# README\n\nhi\n", "3 line(s), 2 not_json skipped"),
    (b"", "0 line(s), every file empty"),
    (b"\n\n\n", "3 line(s), every line blank"),
    # a JSON object that is no event (a graph document of another program given to diff) is
    # no blank line: it was said to be one
    (b'{"a": 1}\n{}\n', "2 line(s), 2 JSON object(s) with neither label nor event_data"),
    (b'[1]\n{"a": 1}\n', "2 line(s), 1 not_object skipped, 1 JSON object(s) with neither "
                          "label nor event_data"),
])
def test_input_without_a_ray_event_is_an_error(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, content: bytes,
                                               why: str) -> None:
    path = tmp_path / "passwd"
    path.write_bytes(content)
    for command in ("analyze", "export"):
        code, out, err = run(capsys, command, str(path), "-j", "1")
        assert (code, out) == (2, "")
        assert err.splitlines()[-1] == ("flowinsight: error: no Ray event in the input: "
                                        f"1 file(s), {why}")


def test_two_sessions_are_refused_unless_merged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", NESTED, SAGE, "-j", "1")
    assert (code, out) == (2, "")
    assert "the input holds 2 different Ray sessions: session_2026-11-22_01-43-18_820647_5255 " \
           in err and "--merge-sessions" in err
    code, out, _ = run(capsys, "analyze", NESTED, SAGE, "-j", "1", "--merge-sessions")
    assert code == 0 and "job 01000000" in out


def test_sessions_are_told_from_events_folders_given_alone(
        capsys: pytest.CaptureFixture[str]) -> None:
    nested = session_of(sample("nested_tasks")) / "logs" / "export_events"
    sage = session_of(sample("sage_pipeline")) / "logs" / "export_events"
    code, _, err = run(capsys, "export", str(nested), str(sage), "-j", "1")
    assert code == 2 and "2 different Ray sessions" in err


def test_sessions_inside_archives_count(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "sage"), "gztar", sample("sage_pipeline"))
    code, _, err = run(capsys, "analyze", NESTED, archive, "-j", "1")
    assert code == 2 and "2 different Ray sessions" in err
    assert run(capsys, "analyze", NESTED, archive, "-j", "1", "--merge-sessions")[0] == 0


def test_diff_and_check_take_merge_sessions(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    both = tmp_path / "both"
    shutil.copytree(sample("nested_tasks"), both, dirs_exist_ok=True)
    shutil.copytree(sample("sage_pipeline"), both, dirs_exist_ok=True)
    assert run(capsys, "diff", str(both), NESTED)[0] == 2
    assert run(capsys, "diff", str(both), NESTED, "--merge-sessions")[0] == 0
    assert run(capsys, "check", str(both), "--max-failures", "99")[0] == 2
    assert run(capsys, "check", str(both), "--max-failures", "99", "--merge-sessions")[0] == 0


@pytest.mark.parametrize("time", ["inf", "-inf", "nan", "1e400", "1e300"])
def test_a_time_beyond_any_clock_is_an_error(capsys: pytest.CaptureFixture[str],
                                             time: str) -> None:
    for option in ("--since", "--until"):
        code, _, err = run(capsys, "export", NESTED, option, time, "-j", "1")
        assert code == 2
        assert err.startswith(f"flowinsight: error: {option} '{time}': give seconds")


@pytest.mark.parametrize("time", ["9999-12-31", "0001-01-01", "2263-01-01T00:00:00"])
def test_a_date_beyond_the_logs_clock_is_an_error(capsys: pytest.CaptureFixture[str],
                                                  time: str) -> None:
    """An ISO date fits no 64-bit nanosecond count before 1677 or after 2262 (as a number of
    seconds past 2262 is refused above): said so, not an empty window that passes."""
    for option in ("--since", "--until"):
        code, out, err = run(capsys, "export", NESTED, option, time, "-j", "1")
        assert (code, out) == (2, "")
        assert err == (f"flowinsight: error: {option} '{time}': give a time between the years "
                       "1677 and 2262 (64-bit nanoseconds, as Ray's logs count time)\n")


# nested_tasks' first event (a window a day after it, or ending a minute before it, holds
# nothing of the run)
FIRST = "2026-11-22 01:43:26.090 UTC"


@pytest.mark.parametrize(("window", "said"), [
    (["--since", "86400"], "from 2026-11-23 01:43:26.090 UTC"),
    (["--until", "-60"], "to 2026-11-22 01:42:26.090 UTC"),
    (["--since", "2030-01-01"], "from 2030-01-01 00:00:00.000 UTC"),
    (["--since", "2026-11-21T00:00", "--until", "2026-11-21T01:00"],
     "from 2026-11-21 00:00:00.000 UTC to 2026-11-21 01:00:00.000 UTC"),
])
def test_a_window_that_holds_nothing_is_an_error(capsys: pytest.CaptureFixture[str],
                                                 window: list[str], said: str) -> None:
    """A window wholly before or after the run (a typo in a date, seconds for milliseconds)
    holds no task, failure or end: its empty graph would pass for a run without calls, as a
    --job or --focus that matches nothing would."""
    message = (f"flowinsight: error: --since/--until: the time window {said} holds no task, "
               f"failure or end of the input (its first event is at {FIRST}); give a window "
               "within the run\n")
    for args in (["analyze"], ["export", "-f", "json"], ["export", "--focus", "main"]):
        code, out, err = run(capsys, *args, NESTED, *window, "-j", "1")
        assert (code, out, err) == (2, "", message), args


def test_a_window_within_the_run_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", NESTED, "--since", "0.5", "--until", "0.6", "-j", "1")
    assert code == 0 and orjson.loads(out)["functions"]


def _incomplete_copy(tmp_path: Path) -> Path:
    """nested_tasks without most of its task files: a capture of a fraction of the run."""
    root = copy_sample(tmp_path)
    for path in sorted(export_dir(root).glob("event_EXPORT_TASK_*.log"))[1:]:
        path.unlink()
    return root


def test_diff_says_a_side_is_incomplete(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    partial = _incomplete_copy(tmp_path)
    code, _, err = run(capsys, "diff", NESTED, str(partial))
    assert code == 0
    assert f"flowinsight: warning: B {partial} is an incomplete capture (" in err
    assert "A " not in err
    code, _, err = run(capsys, "diff", NESTED, NESTED)
    assert "incomplete" not in err


def test_check_says_the_baseline_is_incomplete(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    partial = _incomplete_copy(tmp_path)
    saved = tmp_path / "base.json"
    assert run(capsys, "export", str(partial), "-o", str(saved))[0] == 0
    assert orjson.loads(saved.read_bytes())["summary"]["coverage"]["complete"] is False
    code, out, _ = run(capsys, "check", NESTED, "--baseline", str(saved), "--allow-new-nodes",
                       "--allow-new-edges")
    assert f"note: the baseline {saved} is an incomplete capture (" in out
    code, out, _ = run(capsys, "check", NESTED, "--max-failures", "9")
    assert "incomplete" not in out


@pytest.mark.parametrize("fmt, name, asks", [("svg", "g.png", "png"), ("png", "g.svg", "svg"),
                                             ("pdf", "g.png", "png")])
def test_a_format_and_an_image_name_that_disagree_are_refused(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, name: str,
        asks: str) -> None:
    """SVG text in a .png file is a file no viewer opens: exit 2, nothing written."""
    out = tmp_path / name
    code, stdout, err = run(capsys, "export", NESTED, "--format", fmt, "-o", str(out), "-j", "1")
    assert (code, stdout, out.exists()) == (2, "", False)
    assert err == (f"flowinsight: error: -o {out}: its name asks for {asks}, --format for "
                   f"{fmt}; give one of them, or a name ending in .{fmt}\n")


def test_a_text_format_under_another_text_name_is_written(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "trace.json"  # a Chrome trace is JSON: the user's choice of name
    code, _, err = run(capsys, "export", NESTED, "--format", "trace", "-o", str(out), "-j", "1")
    assert (code, err) == (0, "")
    assert b'"traceEvents"' in out.read_bytes()
