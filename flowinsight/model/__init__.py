"""The typed, frozen event model shared by the readers and the pipeline."""
