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


def _ray_module(module: str) -> bool:
    return not module or module == "ray" or module.startswith("ray.")


def internal_class(class_name: str, module: str = "") -> bool:
    """Whether an actor class is one of Ray's internals (`module` "" when unknown)."""
    return class_name in INTERNAL_CLASSES and _ray_module(module)


def internal_function(name: str, module: str = "") -> bool:
    """Whether a remote function is one of Ray's internals (`module` "" when unknown)."""
    return name in INTERNAL_FUNCTIONS and _ray_module(module)
