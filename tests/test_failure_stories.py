"""Failures with their story: the error's type and message, the task, the worker and Ray node
it ran on, and the traceback's last frames — in analyze (tests/golden/analyze_*), Markdown and
check's failing line."""

from __future__ import annotations

from conftest import cli, render, result_of, sample
from flowinsight.labels import Labels
from flowinsight.render.story import Frame, frames, stories

TASK = "39b7493f40e51cb7ffffffffffffffffffffffff01000000"
NODE = "62fd59381df21642e8f45854563836550bb8db9994f60caf20807db1"
WHERE = f"127.0.0.1 ({NODE})"  # the node's IP (its EXPORT_NODE events) and id
SCRIPT = "/home/user/flowinsight/tests/live/workloads/lattice_workflow.py"


def test_the_story_of_the_recorded_failure() -> None:
    result = result_of(sample("recorded/lattice_workflow"))
    [story] = stories(result, Labels(result))
    assert (story.node, story.task, story.worker, story.ray_node, story.error) == (
        "run_code_task", f"{TASK} attempt 0", "worker 25859 (1db9bff0)", WHERE,
        "TASK_EXECUTION_EXCEPTION: ValueError: task failed on purpose")
    assert story.frames == (Frame(SCRIPT, 10, "run_code_task",
                                  'raise ValueError("task failed on purpose")'),)
    assert story.at_s is not None and 0.9 < story.at_s < 1.0


def test_frames_keeps_the_last_ones() -> None:
    message = "\n".join(f'  File "f{i}.py", line {i}, in fn{i}\n    code{i}' for i in range(5))
    assert [f.where() for f in frames(message + "\nKeyError: 'x'")] == [
        "f2.py:2 in fn2", "f3.py:3 in fn3", "f4.py:4 in fn4"]
    assert frames("no traceback here") == ()


def test_markdown_has_a_failures_section() -> None:
    md = render(result_of(sample("recorded/lattice_workflow")), "markdown").decode()
    section = md.split("#### Failures\n\n", 1)[1].splitlines()
    assert section[0] == ("| node | kind | task / attempt | at | worker, node | error | "
                          "where (last frame first) |")
    assert section[2] == (
        f"| run\\_code\\_task | task | {TASK} attempt 0 | 0.92 s | worker 25859 (1db9bff0), "
        f"Ray node {WHERE} | TASK\\_EXECUTION\\_EXCEPTION: ValueError: task failed on purpose "
        "| /home/user/flowinsight/tests/…/workloads/lattice\\_workflow.py:10 in "
        "run\\_code\\_task |")
    none = render(result_of(sample("recorded/sage_pipeline")), "markdown").decode()
    assert none.endswith("#### Failures\n\n_None recorded._\n")


def test_check_names_the_failed_task() -> None:
    proc = cli("check", str(sample("recorded/lattice_workflow")), "--max-failures", "0")
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines()[0] == (
        "FAIL max-failures 0: 1 failures > 0 (TASK_EXECUTION_EXCEPTION 1): run_code_task "
        f"task {TASK}/0: TASK_EXECUTION_EXCEPTION: ValueError: task failed on purpose")
