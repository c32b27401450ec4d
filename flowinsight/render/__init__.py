"""Renderers: a Result in, one output format out. Each declares its name, file extension and
whether its output is binary; the CLI builds `--format` from this registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable

from flowinsight.result import Result


@dataclass(frozen=True, slots=True)
class RenderOptions:
    width: int = 120  # terminal tables
    top: int = 0  # 0: all rows
    critical: bool = False  # highlight the critical path (dot, svg, png)


@dataclass(frozen=True, slots=True)
class Renderer:
    name: str
    extensions: tuple[str, ...]
    binary: bool
    description: str
    render: Callable[[Result, RenderOptions], bytes]


# Each format's renderer, as (module of flowinsight.render, name): a command imports the one it
# uses (the others bring rich, the CI documents, ...); renderers() imports them all.
FORMATS = {"json": ("json_out", "RENDERER"), "dot": ("dot", "RENDERER"),
           "svg": ("svg", "RENDERER"), "png": ("svg", "PNG_RENDERER"),
           "table": ("table", "RENDERER"), "trace": ("trace", "RENDERER"),
           "mermaid": ("mermaid", "RENDERER"), "markdown": ("markdown", "RENDERER")}


def renderer(name: str) -> Renderer:
    """The renderer of one format, its module imported alone."""
    module, attribute = FORMATS[name]
    found: Renderer = getattr(importlib.import_module(f"flowinsight.render.{module}"),
                              attribute)
    return found


def renderers() -> dict[str, Renderer]:
    return {name: renderer(name) for name in FORMATS}


def guess_format(path: str) -> str | None:
    """The format whose extension the output file name ends with."""
    name = PurePath(path).name.lower()
    matches = [(len(ext), r.name) for r in renderers().values() for ext in r.extensions
               if name.endswith(ext)]
    return max(matches)[1] if matches else None  # the longest: x.trace.json is a trace
