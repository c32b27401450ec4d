"""Groups read in worker processes forked from this one, with no thread in this process.

multiprocessing.Pool feeds its workers and collects their results with three threads of the
parent; on a 1 GB read those threads took about 0.3 s of CPU and kept taking the GIL from the
merge the parent runs meanwhile (bench/phases.py: the parent's CPU in the read 1.0 s → 0.7 s).
Here each worker has two pipes: group numbers go down one, pickled results come back up the
other, and the parent waits on the result pipes with a selector, in the thread that merges.

Each worker is kept two groups ahead, so it never waits for the parent between groups. A
worker that raises sends the exception instead of a result, and the parent raises it; a worker
that dies (killed, out of memory) is reported as WorkerDied; whatever ends the run, the
workers still running are stopped and reaped.
"""

from __future__ import annotations

import gc
import os
import threading
import pickle
import selectors
import signal
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence, TypeVar

from flowinsight.errors import WorkerDied

T = TypeVar("T")
U = TypeVar("U")

_HEADER = struct.Struct("<QB")  # an answer: payload size, kind
_ORDER = struct.Struct("<Q")  # a group number
_RESULT, _ERROR = 0, 1
_STOP = 2**64 - 1  # the group number that tells a worker to exit
_AHEAD = 2  # groups handed to a worker before its first result comes back
_F_SETPIPE_SZ = 1031  # Linux: a 1 MiB pipe takes a group's result in one or two reads
_PIPE_BYTES = 1 << 20


def fork_supported() -> bool:
    """Forking is cheap here (Linux); elsewhere multiprocessing's spawn is used."""
    return hasattr(os, "fork") and os.uname().sysname == "Linux"


def fork_available() -> bool:
    """Forking is cheap and safe now: Linux, and no other thread runs in this process (a forked
    child has only the thread that forked: a lock another thread held then, an import it was
    in the middle of, stays held in the child for good; Python 3.12+ warns of it). A notebook's
    kernel runs threads of its own: there, and elsewhere, multiprocessing's spawn is used."""
    return fork_supported() and _threads() == 1


def _threads() -> int:
    """The threads of this process as the kernel counts them: those started without the
    threading module too (what Python 3.12+ counts when it warns)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def run_forked(items: Sequence[T], work: Callable[[T], U], workers: int) -> Iterator[U]:
    """work(item) for every item, in `workers` forked processes; each result as it is ready
    (in any order)."""
    pool: list[_Worker] = []
    try:
        for _ in range(workers):
            pool.append(_Worker.start(work, items, pool))
        yield from _collect(pool, len(items))
    finally:
        for worker in pool:
            worker.stop()


@dataclass(slots=True)
class _Worker:
    pid: int
    orders: int  # write end: group numbers
    answers: int  # read end: results
    given: int = 0  # groups handed over
    answered: int = 0
    stopped: bool = False  # told to exit (or gone)
    pending: bytearray = field(default_factory=bytearray)  # what came of the next answer

    @classmethod
    def start(cls, work: Callable[[T], object], items: Sequence[T], before: list[_Worker]
              ) -> _Worker:
        order_r, order_w = os.pipe()
        answer_r, answer_w = os.pipe()
        try:
            import fcntl
            fcntl.fcntl(answer_w, _F_SETPIPE_SZ, _PIPE_BYTES)
        except (ImportError, OSError):  # an older kernel, or a lower pipe-max-size
            pass
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(order_w)
            os.close(answer_r)
            for other in before:  # the parent's ends of the earlier workers' pipes
                os.close(other.orders)
                os.close(other.answers)
            _serve(work, items, order_r, answer_w)
        os.close(order_r)
        os.close(answer_w)
        return cls(pid, order_w, answer_r)

    def give(self, number: int) -> None:
        if self.stopped:
            return
        if number == _STOP:
            self.stopped = True
        else:
            self.given += 1
        try:
            os.write(self.orders, _ORDER.pack(number))
        except BrokenPipeError:  # it died: the end of its answers says how
            self.stopped = True

    def stop(self) -> None:
        """Stop the worker (it may be mid-group) and reap it."""
        for fd in (self.orders, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.answered < self.given:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _collect(pool: list[_Worker], count: int) -> Iterator[Any]:
    following = iter(range(count))

    def feed(worker: _Worker) -> None:
        worker.give(next(following, _STOP))

    with selectors.DefaultSelector() as selector:
        for worker in pool:
            for _ in range(_AHEAD):
                feed(worker)
            selector.register(worker.answers, selectors.EVENT_READ, worker)
        done = 0
        while done < count:
            for key, _ in selector.select():
                worker = key.data
                chunk = os.read(worker.answers, _PIPE_BYTES)
                if not chunk:
                    selector.unregister(worker.answers)
                    if worker.answered < worker.given or worker.pending:
                        raise WorkerDied(f"a reading worker (pid {worker.pid}) ended "
                                         f"{_how_it_ended(worker)} before it had read its "
                                         "files")
                    continue
                worker.pending += chunk
                for kind, payload in _answers(worker):
                    worker.answered += 1
                    done += 1
                    feed(worker)
                    if kind == _ERROR:
                        raise payload  # type: ignore[misc]
                    yield payload


def _answers(worker: _Worker) -> Iterator[tuple[int, object]]:
    """The whole answers in what the worker sent so far (the rest stays pending)."""
    data = worker.pending
    start = 0
    while len(data) - start >= _HEADER.size:
        size, kind = _HEADER.unpack_from(data, start)
        end = start + _HEADER.size + size
        if len(data) < end:
            break
        with memoryview(data) as view:
            payload = pickle.loads(view[start + _HEADER.size:end])
        start = end
        yield kind, payload
    del data[:start]


def _how_it_ended(worker: _Worker) -> str:
    try:
        pid, status = os.waitpid(worker.pid, 0)
    except ChildProcessError:
        return "unexpectedly"
    worker.stopped = True
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        hint = " (out of memory? try --jobs 1)" if name == "SIGKILL" else ""
        return f"by {name}{hint}"
    return f"with exit status {os.WEXITSTATUS(status)}"


def _serve(work: Callable[[T], object], items: Sequence[T], orders: int, answers: int) -> None:
    """The worker's loop: a group number in, its pickled result (or exception) out, until told
    to stop. Leaves with os._exit: nothing of the parent's (atexit, buffered output) runs
    twice."""
    code = 0
    try:
        gc.disable()  # as the parent reads: the pieces are acyclic
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it
        while True:
            raw = _read_exactly(orders, _ORDER.size)
            if raw is None:
                break
            (number,) = _ORDER.unpack(raw)
            if number == _STOP:
                break
            try:
                kind, payload = _RESULT, pickle.dumps(work(items[number]), pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
                kind, payload = _ERROR, _pickled_error(error)
            _write_all(answers, _HEADER.pack(len(payload), kind))
            _write_all(answers, payload)
    except BaseException:  # noqa: BLE001 - the parent sees the pipe close and says so
        code = 1
    finally:
        os._exit(code)


def _pickled_error(error: Exception) -> bytes:
    try:
        return pickle.dumps(error, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that does not pickle
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _write_all(fd: int, data: bytes) -> None:
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view):]
