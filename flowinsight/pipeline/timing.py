"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

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
    execution's start and end, NO_NS where not recorded; the code indexes STATUS_NAMES."""
    pending = running = finished = failed = NO_NS
    for status, ns in zip(raw.state_keys, unpack_int64s(raw.state_ns)):  # each status once
        if status == RUNNING:
            running = ns
        elif status == FINISHED:
            finished = ns
        elif status == FAILED:
            failed = ns
        elif status in PENDING and (pending == NO_NS or ns < pending):
            pending = ns
    if EXECUTE in raw.span_names:
        start, end = raw.span(EXECUTE)  # type: ignore[misc]
    else:
        start, end = running, finished if finished != NO_NS else failed
    if failed != NO_NS or raw.error_type:
        code = FAILED_CODE
    elif finished != NO_NS:
        code = FINISHED_CODE
    else:
        code = UNKNOWN_CODE
    return pending, start, end, code


def has_execution(raw: RawAttempt) -> bool:
    return RUNNING in raw.state_keys or EXECUTE in raw.span_names


def has_final_state(raw: RawAttempt) -> bool:
    return FINISHED in raw.state_keys or FAILED in raw.state_keys
