"""flowinsight: call graphs and data-flow graphs from Ray session event logs, offline."""

__version__ = "0.1.0"
