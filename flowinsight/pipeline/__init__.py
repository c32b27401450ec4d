"""The pipeline: pure functions from a Capture to a Result. It knows graphs, not files."""

from flowinsight.pipeline.build import Options, analyze

__all__ = ["Options", "analyze"]
