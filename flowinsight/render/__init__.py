"""Renderers: a Result in, one output format out. Each declares its name, file extension and
whether its output is binary; the CLI builds `--format` from this registry."""

from __future__ import annotations

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


def _registry() -> dict[str, Renderer]:
    from flowinsight.render import dot, json_out, markdown, mermaid, svg, table, trace

    renderers = [json_out.RENDERER, dot.RENDERER, svg.RENDERER, svg.PNG_RENDERER, table.RENDERER,
                 trace.RENDERER, mermaid.RENDERER, markdown.RENDERER]
    return {r.name: r for r in renderers}


def renderers() -> dict[str, Renderer]:
    return _registry()


def guess_format(path: str) -> str | None:
    """The format whose extension the output file name ends with."""
    name = PurePath(path).name.lower()
    matches = [(len(ext), r.name) for r in _registry().values() for ext in r.extensions
               if name.endswith(ext)]
    return max(matches)[1] if matches else None  # the longest: x.trace.json is a trace
