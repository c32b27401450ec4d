from typing import Callable

from flowinsight.pipeline.tasks import Task

# (tasks, attempts, failures, retries, exec ms as doubles, queue ms as doubles)
NodeSums = tuple[int, int, int, int, bytes, bytes]
# (calls, tasks, attempts, failures, retries, exec ms, queue ms, submission times in ms, their
#  (min(), max()) or None: below two, or not all floats)
EdgeSums = tuple[int, int, int, int, int, bytes, bytes, list[float],
                 tuple[float, float] | None]

# (task_ids, numbers, nodes, parents, statuses, errors, ray_nodes, workers, pids, pendings,
#  starts, ends, by_node, edges): the attempt columns, and the sums of nodes and call edges
SweptColumns = tuple[list[str], bytes, list[str], list[str], bytes, dict[int, tuple[str, str]],
                     list[str], list[str], list[int | None], bytes, bytes, bytes,
                     dict[str, NodeSums], dict[tuple[str, str], EdgeSums]]

def critical(task_ids: list[str], numbers: bytes, start_ns: bytes, end_ns: bytes,
             parents: list[str], nodes: list[str], job_of: Callable[[str], str],
             jobs_of: dict[str, str] | None = None,
             /) -> list[tuple[str, list[tuple[str, str, float]], float]] | None: ...

def facts(tasks: dict[str, Task], cache: dict[str, str], shapes: dict[object, str],
          node_of: Callable[[str], str], no_actor: tuple[object, ...], driver_type: object,
          has_export: bool, sweep: bool = False, /) -> tuple[
              dict[str, int], set[str], dict[str, str], set[str], dict[str, int],
              dict[str, str], tuple[int, int, int, int, int, int], SweptColumns | None]: ...
