"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

from functools import lru_cache

from flowinsight.pipeline.tasks import Attempt as RawAttempt
from flowinsight.pipeline.tasks import unpack_int64s
from flowinsight.result import NO_NS, STATUS_NAMES

PENDING = frozenset((1, 2, 3, 4, 5, 6, 7, 13))
RUNNING = 8
FINISHED = 11
FAILED = 12
EXECUTE = "task:execute"


FINISHED_CODE, FAILED_CODE, UNKNOWN_CODE = (STATUS_NAMES.index(name)
                                           for name in ("FINISHED", "FAILED", "UNKNOWN"))


def times_of(raw: RawAttempt) -> tuple[int, int, int, int]:
    """(pending, start, end, status code) of an attempt: the first pending state, the
    execution's start and end, NO_NS where not recorded; the code indexes STATUS_NAMES.

    Where each state and span sits is the same for every attempt whose state keys (span
    names) are the same: records share those (tasks.py), so it is worked out once for each
    (_states_at, _execute_at) and only the times are read per attempt."""
    keys = raw.state_keys
    times = unpack_int64s(raw.state_ns)
    if len(times) != len(keys):  # (never from the merge): the pairs there are
        keys = keys[:len(times)]
        times = times[:len(keys)]
    running_at, finished_at, failed_at, pending_at = _states_at(keys)
    running = times[running_at] if running_at >= 0 else NO_NS
    finished = times[finished_at] if finished_at >= 0 else NO_NS
    failed = times[failed_at] if failed_at >= 0 else NO_NS
    if not pending_at:
        pending = NO_NS
    elif len(pending_at) == 1:
        pending = times[pending_at[0]]
    else:
        pending = NO_NS
        for i in pending_at:  # the earliest (a time of NO_NS, never recorded, starts over)
            if pending == NO_NS or times[i] < pending:
                pending = times[i]
    execute = _execute_at(raw.span_names)
    if execute >= 0:
        start, end = raw.span_at(execute)
    else:
        start, end = running, finished if finished != NO_NS else failed
    if failed != NO_NS or raw.error_type:
        code = FAILED_CODE
    elif finished != NO_NS:
        code = FINISHED_CODE
    else:
        code = UNKNOWN_CODE
    return pending, start, end, code


# Where the states and the execute span sit, per distinct state keys and span names (records
# share those: a real capture has a few dozen of each; the bound only guards odd input).
@lru_cache(maxsize=4096)
def _states_at(keys: bytes) -> tuple[int, int, int, tuple[int, ...]]:
    """Where RUNNING, FINISHED and FAILED are in the keys (-1 where absent), and where the
    pending states are. Each status is there once (Attempt.add_state); were one there twice,
    the last would count, as a loop over them setting each would have it."""
    return (keys.rfind(RUNNING), keys.rfind(FINISHED), keys.rfind(FAILED),
            tuple(i for i, status in enumerate(keys) if status in PENDING))


@lru_cache(maxsize=4096)
def _execute_at(names: tuple[str, ...]) -> int:
    """Where `task:execute` is among the span names, -1 where absent."""
    return names.index(EXECUTE) if EXECUTE in names else -1
