"""flowinsight: call graphs and data-flow graphs from Ray session event logs, offline.

    import flowinsight
    result = flowinsight.load("/tmp/ray/session_latest")
    result.call_graph(), result.data_flow_graph()   # networkx DiGraphs
    flowinsight.export(result, "svg")                # the bytes of any output format
    flowinsight.write(result, "trace", file)         # ... written as made, never held whole

`load`, `read_logs`, `analyse`, `export` and `write` are flowinsight.library's; imported when first
used, so that the command line starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flowinsight.library import Reading, analyse, export, load, read_logs, write
    from flowinsight.result import Result

__all__ = ["Reading", "Result", "analyse", "export", "load", "read_logs", "write"]


def __getattr__(name: str) -> Any:
    if name in ("Reading", "analyse", "export", "load", "read_logs", "write"):
        from flowinsight import library

        return getattr(library, name)
    if name == "Result":
        from flowinsight.result import Result

        return Result
    raise AttributeError(f"module 'flowinsight' has no attribute {name!r}")
