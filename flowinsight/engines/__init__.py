"""Engines that read event files somewhere other than this process's own workers."""
