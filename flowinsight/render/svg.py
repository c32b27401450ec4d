"""`svg`, `png` and `pdf`: the DOT graph drawn by Graphviz's own `dot` program."""

from __future__ import annotations

from flowinsight.errors import UsageError
from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.dot import render_dot
from flowinsight.result import Result

INSTALL_HINT = ("Graphviz's `dot` program is needed to draw SVG/PNG/PDF: install it with "
                "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
                "or `conda install graphviz`, or write `--format dot` and draw it elsewhere")


def draw(dot_source: str, fmt: str) -> bytes:
    import graphviz  # here, not at the top: every command imports the renderers

    try:
        out: bytes = graphviz.pipe("dot", fmt, dot_source.encode(), quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise UsageError(INSTALL_HINT) from exc
    except graphviz.CalledProcessError as exc:
        lines = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise UsageError(f"dot failed: {lines[-1] if lines else exc.returncode}") from exc
    return out


def render_svg(result: Result, options: RenderOptions) -> bytes:
    return draw(render_dot(result, options), "svg")


def render_png(result: Result, options: RenderOptions) -> bytes:
    return draw(render_dot(result, options), "png")


RENDERER = Renderer("svg", False, "the graph drawn by Graphviz (needs `dot`)",
                    one_piece(render_svg))
def render_pdf(result: Result, options: RenderOptions) -> bytes:
    return draw(render_dot(result, options), "pdf")


PNG_RENDERER = Renderer("png", True, "the graph as a PNG picture (needs `dot`)",
                        one_piece(render_png))
PDF_RENDERER = Renderer("pdf", True, "the graph as a PDF document (needs `dot`)",
                        one_piece(render_pdf))
