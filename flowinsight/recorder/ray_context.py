"""Who is running right now, asked of Ray's core worker: task, actor and job ids, and the
session's logs directory. Imported only once the recorder is enabled."""

from __future__ import annotations

import threading
from typing import Any

from ray._private import worker as _ray_worker

from flowinsight.recorder.events import Site
from flowinsight.recorder.ids import is_nil

_ray: Any = _ray_worker  # typed loosely: the recorder reads attributes Ray sets at run time
_NORMAL_TASK_MIDDLE = "f" * 24  # bytes 8..20 of a normal task id
# the attribute a thread started by a running task holds that task's site in (objects.py)
STARTED_BY = "_flowinsight_started_by"


def driver_task_id(job_id_hex: str) -> str:
    return "f" * 40 + job_id_hex


class RayContext:
    """Caches what cannot change within one core worker: the job, whether this is a driver, and
    (from its creation task on) the actor. A new core worker (ray.shutdown, ray.init) resets."""

    def __init__(self) -> None:
        self._core_worker: Any = None
        self._driver_site: Site | None = None
        self._actor_id = ""
        self._job_id = ""
        self.last_started_task = ""  # the task a normal worker runs (see execution.py)
        # the tasks between their record_task_log_start and _end in this process
        self.running: set[str] = set()

    def _reset(self, core_worker: Any) -> None:
        job = core_worker.get_current_job_id().hex()
        self._job_id = "" if is_nil(job) else job
        self._actor_id = ""
        self.refresh_actor(core_worker)
        # WORKER_MODE is 1 in every Ray version; drivers are SCRIPT_MODE or LOCAL_MODE.
        is_driver = _ray.global_worker.mode != getattr(_ray, "WORKER_MODE", 1)
        self._driver_site = Site(driver_task_id(self._job_id), "", self._job_id) if is_driver else None
        self._core_worker = core_worker

    def refresh_actor(self, core_worker: Any = None) -> None:
        """A worker becomes an actor when its creation task starts."""
        if not self._actor_id:
            actor = (core_worker or _ray.global_worker.core_worker).get_actor_id().hex()
            self._actor_id = "" if is_nil(actor) else actor

    def site(self) -> Site:
        """The current task, as Ray would name the caller. The core worker's answer is right on
        a task's own thread and inside async actor methods (a contextvar); on any other thread
        it is a random placeholder, which stands for the driver in a driver; in a worker, for
        the task that started the thread while that task still runs (an actor method's
        iter_batches reads its blocks on a prefetch thread: objects.wrap_thread_start), else,
        like Ray's parent_task_id, for the running task or the actor's creation task."""
        core_worker = _ray.global_worker.core_worker
        if core_worker is not self._core_worker:
            self._reset(core_worker)
        if self._driver_site is not None:
            return self._driver_site
        task = core_worker.get_current_task_id().hex()
        if task[16:40] != _NORMAL_TASK_MIDDLE and task[16:] != self._actor_id:
            starter: Site | None = getattr(threading.current_thread(), STARTED_BY, None)
            if starter is not None and starter.task_id in self.running:
                return starter
            if self._actor_id:
                task = "f" * 16 + self._actor_id
            elif self.last_started_task:
                task = self.last_started_task
        return Site(task, self._actor_id, self._job_id)

    def core_worker(self) -> Any:
        return _ray.global_worker.core_worker

    def site_of_task(self, task_id_hex: str) -> Site:
        core_worker = _ray.global_worker.core_worker
        if core_worker is not self._core_worker:
            self._reset(core_worker)
        return Site(task_id_hex, self._actor_id, self._job_id)

    def logs_dir(self) -> str | None:
        node = getattr(_ray.global_worker, "node", None) or getattr(_ray, "_global_node", None)
        return None if node is None else str(node.get_logs_dir_path())
