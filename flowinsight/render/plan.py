"""`plan`: the Ray Data plans of a session as DOT, the picture a Ray Data user knows: each
dataset's operators in order (Read -> Map -> ... -> Write), each with its tasks, durations,
failures and the bytes it handed on (pipeline/datasets.py). A session without Ray Data gives
an empty graph that says so."""

from __future__ import annotations

from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.dot import quote
from flowinsight.render.units import human_bytes, human_ms
from flowinsight.result import DatasetOp, Result

_FAILED = "#c0392b"


def _label(op: DatasetOp) -> str:
    lines = [op.name or op.id]
    if op.tasks:
        work = f"{op.tasks} task{'s' if op.tasks != 1 else ''}"
        if op.exec_ms is not None:
            work += f" · p50 {human_ms(op.exec_ms.p50)} · max {human_ms(op.exec_ms.max)}"
        lines.append(work)
    if op.failures:
        lines.append(f"{op.failures} failed")
    if op.bytes_out is not None:
        lines.append(f"{human_bytes(op.bytes_out)} out")
    if op.state and op.state != "FINISHED":
        lines.append(op.state)
    lines += op.issues
    return "\n".join(lines)


def render(result: Result, options: RenderOptions) -> bytes:
    out = ["digraph plan {", "  rankdir=LR;",
           '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
           'fontname="Helvetica", fontsize=10];', '  edge [color="#1f6fb2"];']
    if not result.datasets:
        out.append(f"  empty [shape=plaintext, label={quote('no Ray Data plan recorded')}];")
    for i, d in enumerate(result.datasets):
        out.append(f"  subgraph cluster_{i} {{")
        title = f"dataset {d.id} ({d.state})" if d.state else f"dataset {d.id}"
        out.append(f"    label={quote(title)}; fontname=\"Helvetica\"; fontsize=10;")
        for op in d.operators:
            colour = f', color="{_FAILED}", penwidth=2' if op.failures else ""
            out.append(f"    {quote(f'{d.id}/{op.id}')} [label={quote(_label(op))}{colour}];")
        known = {op.id for op in d.operators}
        for op in d.operators:
            for source in op.inputs:
                if source in known:
                    out.append(f"    {quote(f'{d.id}/{source}')} -> {quote(f'{d.id}/{op.id}')};")
        out.append("  }")
    out.append("}")
    return ("\n".join(out) + "\n").encode()


RENDERER = Renderer("plan", False, "Ray Data plans as DOT: each dataset's operators in order",
                    render)
