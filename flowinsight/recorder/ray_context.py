"""Who is running right now, asked of Ray's core worker: task, actor and job ids, and the
session's logs directory. Imported only once the recorder is enabled."""

from __future__ import annotations

from typing import Any

from ray._private import worker as ray_worker

from flowinsight.recorder.events import Site
from flowinsight.recorder.ids import is_nil


def _global_worker() -> Any:
    return ray_worker.global_worker


class RayContext:
    def __init__(self) -> None:
        self._core_worker: Any = None
        self._actor_id = ""
        self._job_id = ""
        self._node: Any = None
        self._logs_dir: str | None = None

    def _refresh(self, core_worker: Any) -> None:
        # Actor and job ids never change within one core worker once set: cache them.
        if core_worker is not self._core_worker:
            self._core_worker, self._actor_id, self._job_id = core_worker, "", ""
        if not self._actor_id:
            actor = core_worker.get_actor_id().hex()
            self._actor_id = "" if is_nil(actor) else actor
        if not self._job_id:
            job = core_worker.get_current_job_id().hex()
            self._job_id = "" if is_nil(job) else job

    def site(self) -> Site:
        """The current task: asyncio-aware (Ray keeps async actor task ids in a contextvar)."""
        core_worker = _global_worker().core_worker
        if core_worker is not self._core_worker or not self._actor_id or not self._job_id:
            self._refresh(core_worker)
        return Site(core_worker.get_current_task_id().hex(), self._actor_id, self._job_id)

    def site_of_task(self, task_id_hex: str) -> Site:
        core_worker = _global_worker().core_worker
        if core_worker is not self._core_worker or not self._actor_id or not self._job_id:
            self._refresh(core_worker)
        return Site(task_id_hex, self._actor_id, self._job_id)

    def logs_dir(self) -> str | None:
        node = getattr(_global_worker(), "node", None) or getattr(ray_worker, "_global_node", None)
        if node is None:
            return None
        if node is not self._node:
            self._node, self._logs_dir = node, node.get_logs_dir_path()
        return self._logs_dir
