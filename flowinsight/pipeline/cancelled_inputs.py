"""Tasks that failed only because an input of theirs was cancelled: an end of the cancel.

A task whose argument is the return of a task that failed does not run: Ray fails it with that
task's error, under its own TASK_EXECUTION_EXCEPTION, its message the input's error after
RayTaskError's note ("At least one of the input arguments for this task could not be computed:",
ray/exceptions.py). When the input was cancelled (`ray.cancel`), that error is the
cancellation, and the dependent's failure is the cancel's consequence, as a call queued behind
an actor's exit is: intended, not a failure of its own. The input's error says which:

- `ray.exceptions.TaskCancelledError` alone: Ray's own error for a task it cancelled (queued,
  or its worker killed by force=True);
- `ray.exceptions.RayTaskError: ray::<name>() (pid=<pid>, ...` ending in
  `TaskCancelledError: Task: TaskID(<id>) was cancelled.`: the input ran and its cancellation's
  KeyboardInterrupt came out of it. Intended where the input is the cancelled task itself: the
  attempt of task <id> that ran in process <pid> under that name. Where it is another task (it
  `ray.get` a cancelled result and did not catch it) the input's failure is an error, and so is
  the dependent's;
- `ray.exceptions.RayTaskError...: ray::<name>() (pid=<pid>, ...` followed by the note again: the
  input was itself such a dependent, and the dependent takes its category.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flowinsight.model.events import INPUT_NOTE
from flowinsight.result import Attempt, attempts_with

# ray/exceptions.py TaskCancelledError's text: the id is the task that was cancelled
CANCELLED = re.compile(
    r"ray\.exceptions\.TaskCancelledError: Task: (?:TaskID\()?([0-9a-fA-F]+)\)? was cancelled")
# RayTaskError's first line: the task that raised, and the worker process it ran in
_RAISED_IN = re.compile(r"ray::([^\s(]+)\(\) \(pid=(\d+)")
_BARE_CANCEL = re.compile(r"(?:ray\.exceptions\.)?TaskCancelledError(?::.*)?$")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Ray colours the `ray::<name>()` of its texts

Key = tuple[str, int]  # (task id, attempt)


def _input_error(message: str) -> list[str]:
    """The lines of the input's error after Ray's note, [] without the note."""
    lines = [line.strip() for line in _COLOUR.sub("", message).splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith(INPUT_NOTE):
            return lines[i + 1:]
    return []


def _tail(name: str) -> str:
    """A function's or method's own name: `Acc.add` and `<actor id>.add` are `add`."""
    return name.rsplit(".", 1)[-1]


def _last_line(message: str) -> str:
    """The exception a traceback ends with (Ray keeps a long message's tail: this is in it)."""
    lines = [line.strip() for line in _COLOUR.sub("", message).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def ended_by_cancelled_input(attempts: Sequence[Attempt], failed: Mapping[Key, Attempt],
                             counted: set[Key], unexecuted: frozenset[Key]) -> set[Key]:
    """Of the `counted` failed attempts (those judged errors, by key in `failed`), the ones
    whose failure is only an input's cancellation (the module's doc). `unexecuted`: the failed
    attempts whose function never ran (steps/unexecuted.py)."""
    ended: set[Key] = set()
    unseen: list[Key] = []  # dependents whose message lost the note (Ray keeps its tail)
    named: list[tuple[Key, list[str], re.Match[str]]] = []  # the note names the input
    for key in counted:
        a = failed[key]
        if a.error_type != "TASK_EXECUTION_EXCEPTION":
            continue
        rest = _input_error(a.error_message)
        if not rest:
            if key in unexecuted:
                unseen.append(key)
        elif len(rest) == 1 and _BARE_CANCEL.match(rest[0]):
            ended.add(key)
        else:
            raised = _RAISED_IN.search(rest[0])
            if raised is not None:
                named.append((key, rest, raised))
    pids = {raised.group(2) for _, _, raised in named}
    ran_in: dict[tuple[str, str], list[Attempt]] = {}  # (pid, own name) -> attempts
    # only where some input is named, and only the rows of those processes made
    for a in attempts_with(attempts, "worker_pid", {int(p) for p in pids}) if pids else ():
        if a.worker_pid is not None and str(a.worker_pid) in pids:
            ran_in.setdefault((str(a.worker_pid), _tail(a.node)), []).append(a)
    inputs: dict[Key, list[Key]] = {}  # a dependent -> the failed attempts it may have read
    for key, rest, raised in named:
        candidates = ran_in.get((raised.group(2), _tail(raised.group(1))), [])
        cancelled = CANCELLED.search(rest[-1])
        if cancelled and not any(INPUT_NOTE in line for line in rest) and any(
                c.task_id.lower() == cancelled.group(1).lower() for c in candidates):
            ended.add(key)
        elif any(INPUT_NOTE in line for line in rest):
            inputs[key] = [(c.task_id, c.attempt) for c in candidates
                           if (c.task_id, c.attempt) in counted]
    grew = True
    while grew:  # a dependent of a dependent: each step of the chain takes its input's end
        grew = False
        for key, read in inputs.items():
            if key not in ended and read and all(k in ended for k in read):
                ended.add(key)
                grew = True
    ended.update(_by_last_line(unseen, failed, counted, unexecuted))
    return ended


def _by_last_line(unseen: list[Key], failed: Mapping[Key, Attempt], counted: set[Key],
                  unexecuted: frozenset[Key]) -> set[Key]:
    """The dependents whose message lost Ray's note and its input's name: their function
    never ran and their error ends in a TaskCancelledError, so an input of theirs carried a
    cancellation. Intended unless some task that ran raised that same error from its own code
    (it `ray.get` the cancelled result: an error), which may be the input it came through."""
    raised_by_code = {_last_line(failed[k].error_message) for k in counted
                      if k not in unexecuted and failed[k].error_type
                      == "TASK_EXECUTION_EXCEPTION"}
    out = set()
    for key in unseen:
        last = _last_line(failed[key].error_message)
        if (CANCELLED.search(last) or _BARE_CANCEL.match(last)) and last not in raised_by_code:
            out.add(key)
    return out
