"""Tasks Ray failed because an input of theirs was cancelled (tests/data/cancel_dependents:
tests/live/workloads/explore8_cancel_tree.py, Ray 2.60, under the recorder). `after` tasks take
the return of a force-cancelled task (stubborn), of a task cancelled while it ran (tree), and of
such an `after` (a chain): their function never ran, Ray failed them with the cancellation
(TASK_EXECUTION_EXCEPTION), an end of the cancel, not a failure. `waiter` ray.gets stubborn's
result and does not catch the error, a real error, and so is the `after` given its return. Ray
keeps a long message's last 500 characters: the tree's and the waiter's dependents lost the
note that names their input, their spans say their function never ran."""

from __future__ import annotations

import json
from collections import Counter

from conftest import ROOT, result_of

from flowinsight.pipeline.cancelled_inputs import ended_by_cancelled_input
from flowinsight.result import Attempt

CAPTURE = ROOT / "tests" / "data" / "cancel_dependents"
TRUTH = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]
NOTE = "At least one of the input arguments for this task could not be computed:"


def test_the_dependents_of_a_cancel_are_its_ends_and_the_waiters_errors() -> None:
    result = result_of(CAPTURE)
    failed = [t for t in TRUTH["tasks"] if t["state"] == "FAILED"]
    waiter = next(t["error_message"] for t in failed if t["name"] == "waiter")
    # the waiter's `after`: its message is the waiter's own tail (the note was cut off)
    errors = sorted(t["task_id"] for t in failed if t["error_message"] == waiter)
    assert len(errors) == 2
    assert sorted(f.task_id for f in result.failures) == errors
    assert {f.category for f in result.failures} == {"error"}
    assert Counter((f.error_type, f.category) for f in result.ends) == {
        ("TASK_CANCELLED", "intended"): 4, ("TASK_EXECUTION_EXCEPTION", "intended"): 3}
    assert sorted(f.task_id for f in result.ends if f.error_type != "TASK_CANCELLED") == sorted(
        t["task_id"] for t in failed
        if t["name"] == "after" and t["task_id"] not in errors)
    after = next(n for n in result.nodes if n.name == "after")
    assert (after.stats.tasks, after.stats.failures) == (4, 1)


def _attempt(task: str, node: str, pid: int, message: str) -> Attempt:
    return Attempt(task, 0, node, "", "FAILED", "TASK_EXECUTION_EXCEPTION", message, "", "w",
                   pid, None, None, None)


def test_an_input_named_by_the_note_decides() -> None:
    """With the note kept: Ray's own TaskCancelledError (the input cancelled before or by force),
    the input's RayTaskError with its own cancellation (the input is the cancelled task: its
    name and pid), a dependent of such a dependent; not an input that raised another task's."""
    slow = _attempt("a" * 48, "slow", 10, "")
    plus = _attempt("b" * 48, "plus", 11, f"ray::plus() (pid=11, ip=x)\n  {NOTE}\n"
                    "ray.exceptions.TaskCancelledError")
    ran = _attempt("c" * 48, "plus", 12, f"ray::plus() (pid=12, ip=x)\n  {NOTE}\n"
                   "ray.exceptions.RayTaskError: \x1b[36mray::slow()\x1b[39m (pid=10, ip=x)\n"
                   '  File "w.py", line 3, in slow\n'
                   f"ray.exceptions.TaskCancelledError: Task: TaskID({'a' * 48}) was cancelled.")
    chain = _attempt("d" * 48, "plus", 13, f"ray::plus() (pid=13, ip=x)\n  {NOTE}\n"
                     "ray.exceptions.RayTaskError(TaskCancelledError): ray::plus() (pid=11, ip=x)"
                     f"\n  {NOTE}\nray.exceptions.TaskCancelledError")
    waiter = _attempt("e" * 48, "waiter", 14, 'File "w.py", line 9, in waiter\n'
                      f"ray.exceptions.TaskCancelledError: Task: TaskID({'a' * 48}) was cancelled.")
    other = _attempt("f" * 48, "plus", 15, f"ray::plus() (pid=15, ip=x)\n  {NOTE}\n"
                     "ray.exceptions.RayTaskError: ray::waiter() (pid=14, ip=x)\n"
                     '  File "w.py", line 9, in waiter\n'
                     f"ray.exceptions.TaskCancelledError: Task: TaskID({'a' * 48}) was cancelled.")
    everyone = [slow, plus, ran, chain, waiter, other]
    failed = {(a.task_id, 0): a for a in everyone[1:]}
    ended = ended_by_cancelled_input(everyone, failed, set(failed), frozenset())
    assert sorted(k[0][0] for k in ended) == ["b", "c", "d"]
