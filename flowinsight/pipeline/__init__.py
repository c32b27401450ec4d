"""The pipeline: pure functions from a Capture to a Result. It knows graphs, not files."""

from flowinsight.pipeline.build import Options, analyze, analyze_partial
from flowinsight.pipeline.partial import Partial, Reducer, merge_partials, reduce_events

__all__ = ["Options", "Partial", "Reducer", "analyze", "analyze_partial", "merge_partials",
           "reduce_events"]
