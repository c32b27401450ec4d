from typing import Any, Callable, Sequence

class Unrepresentable(Exception): ...

def configure(
    task: type,
    task_slots: tuple[Any, ...],
    attempt: type,
    attempt_slots: tuple[Any, ...],
    function_ref: type,
    function_ref_slots: tuple[Any, ...],
    task_update: type,
    task_update_slots: tuple[Any, ...],
    span: type,
    span_slots: tuple[Any, ...],
    shared: dict[Any, Any],
    grown: dict[Any, Any],
    max_shared: int,
    merge_events: Callable[[Sequence[Any], dict[str, Any]], object],
    merge_task: Callable[[Any, Any], object],
    task_types: tuple[Any, ...] = ...,
    /,
) -> None: ...
def merge_updates(events: Sequence[object], tasks: dict[str, Any], /) -> None: ...
def merge_task_tables(into: dict[str, Any], later: dict[str, Any], /) -> None: ...
def make_task(*fields: object) -> Any: ...
def make_attempt(*fields: object) -> Any: ...
def dump_tasks(tasks: dict[str, Any], /) -> bytes: ...
def load_tasks(blob: bytes, /) -> dict[str, Any]: ...
def load_tasks_into(into: dict[str, Any], blob: bytes, /) -> None: ...
