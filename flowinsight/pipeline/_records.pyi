from typing import Any, Callable, Sequence

class Unrepresentable(Exception): ...

def configure(
    task: type,
    task_slots: tuple[Any, ...],
    attempt: type,
    attempt_slots: tuple[Any, ...],
    function_ref: type,
    function_ref_slots: tuple[Any, ...],
    shared: dict[Any, Any],
    grown: dict[Any, Any],
    max_shared: int,
    merge_events: Callable[[Sequence[Any], dict[str, Any]], object],
    merge_task: Callable[[Any, Any], object],
    task_types: tuple[Any, ...] = ...,
    /,
) -> None: ...
def fold_batch(batch: object, tasks: dict[str, Any], /) -> int: ...
def dump_tasks(tasks: dict[str, Any], /) -> bytes: ...
def load_tasks(blob: bytes, /) -> dict[str, Any]: ...
def load_tasks_into(into: dict[str, Any], blob: bytes, /) -> None: ...
