"""Renderers: a Result in, one output format out. Each declares its name and whether its output
is binary; FORMATS says where each lives and the file names it is guessed from, and the CLI
builds `--format` from it.

A renderer makes its output as pieces, in order: the command line writes each piece as it
comes (cli/output.py), so that a big output (a trace: hundreds of MB) is never held whole, let
alone twice (a list of pieces and their join). `Renderer.render` joins them: the bytes the
library and the tests take, the same bytes whichever way."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable, Iterable

from flowinsight.result import Result


@dataclass(frozen=True, slots=True)
class RenderOptions:
    width: int = 120  # terminal tables
    top: int = 0  # 0: all rows
    critical: bool = False  # highlight the critical path (dot, svg, png)
    call_sites: bool = False  # the call-site table (table)
    attempts: bool = False  # a row per task attempt (json)


@dataclass(frozen=True, slots=True)
class Renderer:
    name: str
    binary: bool
    description: str
    # the output in pieces, in order (a generator: each made as the one before is written)
    pieces: Callable[[Result, RenderOptions], Iterable[bytes]]

    def render(self, result: Result, options: RenderOptions) -> bytes:
        """The whole output: the pieces joined (a renderer of one piece: that piece itself,
        not a copy)."""
        return b"".join(self.pieces(result, options))


def one_piece(render: Callable[[Result, RenderOptions], bytes]
              ) -> Callable[[Result, RenderOptions], Iterable[bytes]]:
    """The pieces of a renderer that makes its output whole: that output, as one piece. (The
    formats whose outputs stay small, or that a program makes whole: `dot` draws an SVG.)"""
    return lambda result, options: (render(result, options),)


@dataclass(frozen=True, slots=True)
class Format:
    module: str  # of flowinsight.render
    attribute: str  # the Renderer there
    extensions: tuple[str, ...]  # output file names that choose this format
    # its output grows with the attempts (an event each): the render needs the memory the
    # task records held, so the analysis lets them go as it sweeps them
    per_attempt: bool = False


# A command imports the one renderer it uses (the others bring rich, the CI documents, ...);
# renderers() imports them all.
FORMATS = {
    "json": Format("json_out", "RENDERER", (".json",)),
    "dot": Format("dot", "RENDERER", (".dot", ".gv")),
    "svg": Format("svg", "RENDERER", (".svg",)),
    "png": Format("svg", "PNG_RENDERER", (".png",)),
    "pdf": Format("svg", "PDF_RENDERER", (".pdf",)),
    "table": Format("table", "RENDERER", (".txt",)),
    "trace": Format("trace", "RENDERER", (".trace.json", ".trace"), per_attempt=True),
    "mermaid": Format("mermaid", "RENDERER", (".mmd", ".mermaid")),
    "markdown": Format("markdown", "RENDERER", (".md", ".markdown")),
    "html": Format("html", "RENDERER", (".html", ".htm")),
    # the code view (call sites): chosen by name only, its files look like dot's and svg's
    "code-dot": Format("code_view", "RENDERER", ()),
    "code-svg": Format("code_view", "SVG_RENDERER", ()),
    "plan": Format("plan", "RENDERER", (".plan.dot",)),
}


def renderer(name: str) -> Renderer:
    """The renderer of one format, its module imported alone."""
    where = FORMATS[name]
    found: Renderer = getattr(importlib.import_module(f"flowinsight.render.{where.module}"),
                              where.attribute)
    return found


def renderers() -> dict[str, Renderer]:
    return {name: renderer(name) for name in FORMATS}


def guess_format(path: str) -> str | None:
    """The format whose extension the output file name ends with (no renderer imported)."""
    name = PurePath(path).name.lower()
    matches = [(len(ext), fmt) for fmt, where in FORMATS.items()
               for ext in where.extensions if name.endswith(ext)]
    return max(matches)[1] if matches else None  # the longest: x.trace.json is a trace


def known_extensions() -> list[str]:
    """Every output file extension some format is chosen by, sorted."""
    return sorted({ext for where in FORMATS.values() for ext in where.extensions})
