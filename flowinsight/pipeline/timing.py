"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

import struct

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
    at = _STATES_AT.get(keys)
    if at is None:
        at = _states_at(keys)
    running_at, finished_at, failed_at, pending_at = at
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
    names = raw.span_names
    execute = _EXECUTE_AT.get(names)
    if execute is None:
        execute = _execute_at(names)
    if execute >= 0:
        start, end = _SPAN.unpack_from(raw.span_ns, 16 * execute)
    else:
        start, end = running, finished if finished != NO_NS else failed
    if failed != NO_NS or raw.error_type:
        code = FAILED_CODE
    elif finished != NO_NS:
        code = FINISHED_CODE
    else:
        code = UNKNOWN_CODE
    return pending, start, end, code


# state keys -> (where RUNNING, FINISHED and FAILED are, -1 where absent; where the pending
# states are); span names -> where `task:execute` is, -1 where absent. Bounded: the keys and
# names of real captures are a few dozen.
_STATES_AT: dict[bytes, tuple[int, int, int, tuple[int, ...]]] = {}
_EXECUTE_AT: dict[tuple[str, ...], int] = {}
_MAX_KNOWN = 1 << 12
_SPAN = struct.Struct("<qq")


def _states_at(keys: bytes) -> tuple[int, int, int, tuple[int, ...]]:
    # each status once in the keys (Attempt.add_state); were one there twice, the last would
    # count, as a loop over them setting each would have it
    at = (keys.rfind(RUNNING), keys.rfind(FINISHED), keys.rfind(FAILED),
          tuple(i for i, status in enumerate(keys) if status in PENDING))
    if len(_STATES_AT) < _MAX_KNOWN:
        _STATES_AT[keys] = at
    return at


def _execute_at(names: tuple[str, ...]) -> int:
    at = names.index(EXECUTE) if EXECUTE in names else -1
    if len(_EXECUTE_AT) < _MAX_KNOWN:
        _EXECUTE_AT[names] = at
    return at
