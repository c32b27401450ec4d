"""Who is running right now, asked of Ray's core worker: task, actor and job ids, and the
session's logs directory. Imported only once the recorder is enabled."""

from __future__ import annotations

from typing import Any

from ray._private import worker as ray_worker

from flowinsight.recorder.events import Site
from flowinsight.recorder.ids import is_nil

_NORMAL_TASK_MIDDLE = "f" * 24  # bytes 8..20 of a normal task id


def _global_worker() -> Any:
    return ray_worker.global_worker


def driver_task_id(job_id_hex: str) -> str:
    return "f" * 40 + job_id_hex


class RayContext:
    def __init__(self) -> None:
        self._core_worker: Any = None
        self._is_driver = False
        self._actor_id = ""
        self._job_id = ""
        self._node: Any = None
        self._logs_dir: str | None = None
        self.last_started_task = ""  # set by execution.py: the task a normal worker is running

    def _refresh(self, core_worker: Any) -> None:
        # Actor and job ids never change within one core worker once set: cache them.
        if core_worker is not self._core_worker:
            self._core_worker, self._actor_id, self._job_id = core_worker, "", ""
            # WORKER_MODE is 1 in every Ray version; drivers are SCRIPT_MODE (0) or LOCAL_MODE.
            self._is_driver = _global_worker().mode != getattr(ray_worker, "WORKER_MODE", 1)
        if not self._actor_id:
            actor = core_worker.get_actor_id().hex()
            self._actor_id = "" if is_nil(actor) else actor
        if not self._job_id:
            job = core_worker.get_current_job_id().hex()
            self._job_id = "" if is_nil(job) else job

    def _core(self) -> Any:
        core_worker = _global_worker().core_worker
        if core_worker is not self._core_worker or not self._actor_id or not self._job_id:
            self._refresh(core_worker)
        return core_worker

    def site(self) -> Site:
        """The current task, as Ray would name the caller. The core worker's answer is right on
        a task's own thread and inside async actor methods (a contextvar); on any other thread
        it is a random placeholder, which stands for the driver in a driver and, like Ray's
        parent_task_id, for the running task or the actor's creation task in a worker."""
        core_worker = self._core()
        if self._is_driver:
            return Site(driver_task_id(self._job_id), self._actor_id, self._job_id)
        task = core_worker.get_current_task_id().hex()
        middle = task[16:40]
        if middle != _NORMAL_TASK_MIDDLE and task[16:] != self._actor_id:
            if self._actor_id:
                task = "f" * 16 + self._actor_id
            elif self.last_started_task:
                task = self.last_started_task
        return Site(task, self._actor_id, self._job_id)

    def site_of_task(self, task_id_hex: str) -> Site:
        self._core()
        return Site(task_id_hex, self._actor_id, self._job_id)

    def logs_dir(self) -> str | None:
        node = getattr(_global_worker(), "node", None) or getattr(ray_worker, "_global_node", None)
        if node is None:
            return None
        if node is not self._node:
            self._node, self._logs_dir = node, node.get_logs_dir_path()
        return self._logs_dir
