"""Ray's internals: the actors and tasks that Ray's libraries start for their own bookkeeping
(Ray Data's stats, location and autoscaling actors, Serve's controller and proxies, Tune's and
Train's controllers, the supervisor of a submitted job), not the user's work. They are marked `internal` on their nodes and
actors, hidden from the pictures and summaries unless asked for (`--internals`;
views.hide_internals) and always kept in the JSON, marked.

They are recognised by the names Ray's own sources give them (Ray 2.60; the module where each
is defined is noted) and, where a descriptor names a module (flowinsight.recorder does), only
when that module is Ray's. The user's work that a library wraps is not internal: Ray Data's
operators (`_map_task`, named by its operator: identity.renames_by_span) and its actor pools'
`MapWorker(...)`, Tune's trainables, Serve's replicas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flowinsight.pipeline.identity import NodeKey
from flowinsight.result import NodeKind

# class name -> the module of Ray that defines it
INTERNAL_CLASSES = {
    # Ray Data
    "_StatsActor": "ray.data._internal.stats",
    "_StatsSummaryActor": "ray.data._internal.stats_summary_actor",
    "_MemActor": "ray.data._internal.memory_tracing",
    "ActorLocationTracker": "ray.data._internal.execution.node_trackers.actor_location",
    "AutoscalingRequester": "ray.data._internal.execution.autoscaling_requester",
    "_AutoscalingCoordinatorActor":
        "ray.data._internal.cluster_autoscaler.default_autoscaling_coordinator",
    "_UsageCollectionActor": "ray.data._internal.usage.actor",
    "SplitCoordinator": "ray.data._internal.iterator.stream_split_iterator",
    "_BlockPretcher": "ray.data._internal.block_batching.util",
    # read_parquet's ListFiles task starts a pool of these per read (32 by default,
    # RAY_DATA_PARQUET_FOOTER_NUM_ACTORS), reads the files' footers through them and
    # ray.kills them all when done (footer_file_indexer.py): the operator is ListFiles
    "FooterReader": "ray.data._internal.datasource_v2.formats.parquet.footer_reader",
    # Serve
    "ServeController": "ray.serve._private.controller",
    "ProxyActor": "ray.serve._private.proxy",
    "HAProxyManager": "ray.serve._private.haproxy",
    "ServeControllerAvatar": "ray.serve._private.controller_avatar",
    # Tune
    "TunerInternal": "ray.tune.impl.tuner_internal",
    "_PackActor": "ray.tune.utils.file_transfer",
    # Train
    "TrainStateActor": "ray.train._internal.state.state_actor",
    "TrainController": "ray.train.v2._internal.execution.controller.controller",
    "SynchronizationActor": "ray.train.v2._internal.execution.checkpoint.sync_actor",
    "PreemptionWatcher": "ray.train.v2._internal.execution.preemption",
    "PlacementGroupCleaner":
        "ray.train.v2._internal.execution.controller.placement_group_cleaner",
    "DatasetManager": "ray.train.v2._internal.data_integration.dataset_manager",
    # Jobs: the actor that runs each `ray job submit` entrypoint as a subprocess (its driver
    # is the job's own); the dashboard creates it, with task events off
    "JobSupervisor": "ray.dashboard.modules.job.job_supervisor",
}

# remote function name -> the module of Ray that defines it
INTERNAL_FUNCTIONS = {
    "build_serve_application": "ray.serve._private.application_state",
    "block_until_http_ready": "ray.serve._private.utils",
    "_unpack_from_actor": "ray.tune.utils.file_transfer",
    "_get_recursive_files_and_stats": "ray.tune.utils.file_transfer",
    "_copy_dir": "ray.tune.utils.file_transfer",
}


# ray/actor.py: the method Ray gives every actor to run a function on it
RAY_CALL = "__ray_call__"


def compiled_graph_loops(calls: Iterable[tuple[str, str]],
                         keys: Mapping[str, NodeKey]) -> set[str]:
    """The `__ray_call__` nodes that called methods of their own actor: a compiled graph's
    loops (`do_exec_tasks`, ray/dag/compiled_dag_node.py), whose runs of the user's methods
    the recorder records as calls made by the loop (read/ray_events.py: compiled_call). Such
    a node is Ray's plumbing (the loop waits on its channels for its whole life; its other
    calls set the channels up and tear them down): internal, its runs drawn from the loop's
    caller. Without the recorder no run names a method, and `__ray_call__` stays the user's
    view of the graph (docs/recorder.md)."""
    loops = set()
    for source, target in calls:
        caller, callee = keys.get(source), keys.get(target)
        if caller is not None and callee is not None and caller.kind is NodeKind.METHOD \
                and caller.name == RAY_CALL and callee.kind is NodeKind.METHOD \
                and callee.actor_id == caller.actor_id and callee.name != RAY_CALL:
            loops.add(source)
    return loops


def _ray_module(module: str) -> bool:
    return not module or module == "ray" or module.startswith("ray.")


def internal_class(class_name: str, module: str = "") -> bool:
    """Whether an actor class is one of Ray's internals (`module` "" when unknown)."""
    return class_name in INTERNAL_CLASSES and _ray_module(module)


def internal_function(name: str, module: str = "") -> bool:
    """Whether a remote function is one of Ray's internals (`module` "" when unknown)."""
    return name in INTERNAL_FUNCTIONS and _ray_module(module)
