"""A compiled graph's method runs (`dag.experimental_compile()`), which Ray records as no task.

Ray runs a compiled graph as one long `__ray_call__(do_exec_tasks)` task per actor (the loop),
which performs the graph's operations in order for every execute: READ its inputs from
channels, COMPUTE (call the user's method), WRITE the result to its output channels
(ray/dag/compiled_dag_node.py: ExecutableTask.exec_operation). The recorder wraps
`exec_operation` and records each COMPUTE as a `compiled_call`: the method's run under an id of
its own (`run_task_id`), inside its loop task; one whose input was an upstream method's error,
which Ray passes on without calling the method, as `skipped` with that error. What the run reads (READ) and writes (WRITE) is that
run's: the channel reads are gets (`Worker.get_objects`) under the run's site, and each
channel write (`shared_memory_channel.Channel.write`) a put of the channel's object by the run,
once per node's reader ref (the id each reader reads). A channel object is overwritten by every
execute: the analysis takes the put last before a get as the value that get read
(pipeline/graph.py). The driver, which runs no task, gets no hook: its write of the graph's
input is no put, and the object names the driver as its creator.

ray.dag is not imported by every worker (it costs ~13 ms): the hooks are installed the first
time a task starts in a process that has it (a loop's `do_exec_tasks` argument imports it).
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from flowinsight.recorder.capture import TLS, SingleSize
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import CompiledCall, ObjectPut, Site
from flowinsight.recorder.safety import note_failure

_GRAPH_MODULE = "ray.dag.compiled_dag_node"
_CHANNEL_MODULE = "ray.experimental.channel.shared_memory_channel"
_ORIGINAL = "__flowinsight_original__"
# on an ExecutableTask: how many READs it began (the number of its current run), the site of
# that run (its READ, COMPUTE and WRITE are its) and of its loop
_RUNS = "_flowinsight_runs"
Runs = tuple[int, Site, Site]  # the run's number, its site, its loop's site
_lock = threading.Lock()
_installed = False


def maybe_install() -> None:
    """Installs the hooks once ray.dag's compiled graphs are imported in this process: asked at
    every task start until then (one dict lookup)."""
    global _installed
    if _installed or _GRAPH_MODULE not in sys.modules:
        return
    with _lock:
        first, _installed = not _installed, True
    if first:
        missing = [name for name, ok in (
            (f"{_GRAPH_MODULE}.ExecutableTask.exec_operation",
             _wrap(_GRAPH_MODULE, "ExecutableTask", "exec_operation", wrap_exec_operation)),
            (f"{_GRAPH_MODULE}._wrap_exception",
             _wrap(_GRAPH_MODULE, None, "_wrap_exception", wrap_wrap_exception)),
            (f"{_GRAPH_MODULE}._process_return_vals",
             _wrap(_GRAPH_MODULE, None, "_process_return_vals", wrap_process_return_vals)),
            (f"{_CHANNEL_MODULE}.Channel.write",
             _wrap(_CHANNEL_MODULE, "Channel", "write", wrap_channel_write)),
        ) if not ok]
        if missing:
            print("flowinsight.recorder: this Ray lacks hooks, compiled graph runs will be "
                  "missing: " + ", ".join(missing), file=sys.stderr)


def _wrap(module_name: str, owner_name: str | None, name: str,
          wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    try:
        module = sys.modules.get(module_name) or __import__(module_name, fromlist=["_"])
        owner = getattr(module, owner_name) if owner_name else module
        original = getattr(owner, name)
    except (ImportError, AttributeError):
        return False
    if getattr(original, _ORIGINAL, None) is None:
        wrapped = wrap(original)
        setattr(wrapped, _ORIGINAL, original)
        setattr(owner, name, wrapped)
    return True


class _Compute(threading.local):
    # the exception the running COMPUTE's method raised (Ray wraps it: _wrap_exception)
    raised: BaseException | None = None
    # its input was an upstream method's error, which Ray passes on without calling the
    # method (_process_return_vals raised it): a run that failed by its input
    upstream: BaseException | None = None
    computing: bool = False


_COMPUTE = _Compute()


def wrap_process_return_vals(original: Callable[..., Any]) -> Callable[..., Any]:
    """A COMPUTE first unpacks its input with _process_return_vals, which raises the error an
    upstream method made: Ray then skips the method and passes the error on."""

    def _process_return_vals(*positional: Any, **keywords: Any) -> Any:
        try:
            return original(*positional, **keywords)
        except Exception as error:
            if _COMPUTE.computing:
                _COMPUTE.upstream = error
            raise

    return _process_return_vals


def wrap_wrap_exception(original: Callable[..., Any]) -> Callable[..., Any]:
    """Ray calls _wrap_exception in a COMPUTE only when the user's method raised."""

    def _wrap_exception(exc: Any, *rest: Any, **keywords: Any) -> Any:
        if _COMPUTE.computing:
            _COMPUTE.raised = exc
        return original(exc, *rest, **keywords)

    return _wrap_exception


def run_task_id(loop_task_id: str, actor_id: str, bind_index: int, run: int) -> str:
    """A run's id, shaped as Ray's actor task ids are (8 bytes of its own, then the actor's 16):
    its first 8 bytes a digest of its loop, its method's place in the graph and its number."""
    digest = hashlib.blake2b(f"{loop_task_id}:{bind_index}:{run}".encode(),
                             digest_size=8).hexdigest()
    return digest + actor_id


def wrap_exec_operation(original: Callable[..., Any]) -> Callable[..., Any]:
    def exec_operation(self: Any, class_handle: Any, op_type: Any, *rest: Any,
                       **keywords: Any) -> Any:
        if not EMITTER.active:
            return original(self, class_handle, op_type, *rest, **keywords)
        kind = getattr(op_type, "name", "")
        if kind == "COMPUTE":
            return _compute(original, self, class_handle, op_type, rest, keywords)
        site = None
        try:
            site = _run_site(self, kind == "READ")
        except Exception as error:  # noqa: BLE001
            note_failure("exec_operation", error)
        previous = TLS.run_site
        TLS.run_site = site
        try:
            return original(self, class_handle, op_type, *rest, **keywords)
        finally:
            TLS.run_site = previous

    return exec_operation


def _run_site(task: Any, new_run: bool) -> Site | None:
    """The site of the task's current run (a READ begins the next one)."""
    runs: Runs | None = getattr(task, _RUNS, None)
    if not new_run:
        return None if runs is None else runs[1]
    loop = EMITTER.site()
    if not loop.actor_id:
        return None
    number = 1 if runs is None else runs[0] + 1
    site = Site(run_task_id(loop.task_id, loop.actor_id, int(task.bind_index), number),
                loop.actor_id, loop.job_id)
    setattr(task, _RUNS, (number, site, loop))
    return site


def _taken() -> tuple[BaseException | None, BaseException | None]:
    """What the COMPUTE on this thread raised, and the upstream error it passed on; cleared."""
    found = _COMPUTE.raised, _COMPUTE.upstream
    _COMPUTE.raised = _COMPUTE.upstream = None
    return found


def _compute(original: Callable[..., Any], task: Any, class_handle: Any, op_type: Any,
             rest: tuple[Any, ...], keywords: dict[str, Any]) -> Any:
    runs: Runs | None = getattr(task, _RUNS, None)
    if runs is None:  # a loop started before the recorder: its runs have no READ recorded
        return original(task, class_handle, op_type, *rest, **keywords)
    previous = TLS.run_site
    TLS.run_site = runs[1]
    _taken()
    _COMPUTE.computing = True
    start = now_ms_float()
    try:
        done = original(task, class_handle, op_type, *rest, **keywords)
    finally:
        end = now_ms_float()
        _COMPUTE.computing = False
        TLS.run_site = previous
    raised, upstream = _taken()
    try:
        if upstream is not None:  # the method did not run: the upstream's error, passed on
            # (Ray's RayTaskError, made by _wrap_exception: its cause is what the user's
            # method raised)
            _emit_run(task, class_handle, runs, start, end,
                      getattr(upstream, "cause", None) or upstream, skipped=True)
        else:
            _emit_run(task, class_handle, runs, start, end, raised)
    except Exception as error:  # noqa: BLE001
        note_failure("exec_operation", error)
    return done


def now_ms_float() -> float:
    """Milliseconds to the microsecond: a compiled method's run often lasts well under 1 ms."""
    return round(time.time_ns() / 1_000_000, 3)


def _emit_run(task: Any, class_handle: Any, runs: Runs, start: float, end: float,
              raised: BaseException | None, skipped: bool = False) -> None:
    number, site, loop = runs
    # a collective operation (allreduce...) is Ray's, no method of the user's
    if getattr(task, "collective_op", None) is not None:
        return
    cls = type(class_handle)
    where = _process()
    EMITTER.emit(CompiledCall(
        run_task_id=site.task_id,
        loop=loop,
        class_name=getattr(cls, "__name__", ""),
        method=str(task.method_name),
        bind_index=int(task.bind_index),
        run=number,
        start_ms=start,
        end_ms=end,
        error_type=type(raised).__name__ if raised is not None else "",
        error_message=_message(raised),
        node_id=where[0],
        worker_id=where[1],
        pid=where[2],
        skipped=skipped,
    ))


def _message(raised: BaseException | None) -> str:
    if raised is None:
        return ""
    text = f"{type(raised).__name__}: {raised}"
    return text if len(text) <= 500 else text[:497] + "..."


_PROCESS: tuple[str, str, int] | None = None


def _process() -> tuple[str, str, int]:
    """This worker's node, worker id and pid: a process's own, asked once."""
    global _PROCESS
    if _PROCESS is None or _PROCESS[2] != os.getpid():
        core_worker = EMITTER.context.core_worker()
        _PROCESS = (core_worker.get_current_node_id().hex(),
                    core_worker.get_worker_id().hex(), os.getpid())
    return _PROCESS


def wrap_channel_write(original: Callable[..., Any]) -> Callable[..., Any]:
    def write(self: Any, value: Any, *rest: Any, **keywords: Any) -> Any:
        if not EMITTER.active:
            return original(self, value, *rest, **keywords)
        sink = SingleSize()
        previous = TLS.sink
        TLS.sink = sink
        try:
            done = original(self, value, *rest, **keywords)
        finally:
            TLS.sink = previous
        try:
            _record_write(self, value, sink.size)
        except Exception as error:  # noqa: BLE001
            note_failure("Channel.write", error)
        return done

    return write


def _record_write(channel: Any, value: Any, size: int | None) -> None:
    if size is None and hasattr(value, "total_bytes"):  # written already serialised
        size = value.total_bytes + len(value.metadata)
    site = TLS.run_site or EMITTER.site()
    timestamp = now_ms()
    # each node's readers read one ref (the writer's own on its node): one put per ref
    infos = getattr(channel, "_node_id_to_reader_ref_info", None) or {}
    refs = {info.reader_ref.hex() for info in infos.values()} or {channel._writer_ref.hex()}
    for object_id in sorted(refs):
        EMITTER.emit(ObjectPut(object_id, site, size, "put", timestamp))
