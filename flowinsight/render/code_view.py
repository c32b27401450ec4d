"""`code-dot` and `code-svg`: the call graph with each caller expanded into the user's code that
made its calls. A call edge whose call sites are known becomes the chain of frames from the
caller down to the `.remote()` call (`main -> Dispatcher.submit -> ... ->
TaskFactory.create_task => RayTask 'source'`); chains that share a beginning share its boxes
(a trie per caller), so four actors created through one path show one path that fans out at
its end. Call edges without a known site are drawn as in `dot`. Every string from a log is
escaped for DOT."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from flowinsight.model.events import Frame
from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.dot import quote
from flowinsight.labels import Labels
from flowinsight.result import NodeKind, Result

_CALL = "#404040"
_CODE = "#2e7d32"
_FAILED = "#c0392b"
_FRAME_FILL = "#eef6ee"


@dataclass(slots=True)
class _Step:
    """A trie node: one frame below its parent; `targets` counts the tasks whose `.remote()`
    call this frame made, by the node called."""

    frame: Frame
    children: dict[tuple[str, int, str], _Step] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)
    tasks: int = 0  # every task submitted through this frame


def _tries(result: Result) -> dict[str, dict[tuple[str, int, str], _Step]]:
    """Per caller node ("" for unknown), the roots of its trie of frames."""
    roots: dict[str, dict[tuple[str, int, str], _Step]] = {}
    for site in result.call_sites:
        level = roots.setdefault(site.caller, {})
        step: _Step | None = None
        for frame in site.frames:
            key = (frame.file, frame.line, frame.function)
            step = level.get(key)
            if step is None:
                step = level[key] = _Step(frame)
            step.tasks += site.count
            level = step.children
        if step is not None:
            step.targets[site.node] = step.targets.get(site.node, 0) + site.count
    return roots


def _frame_label(frame: Frame) -> str:
    return f"{frame.function}\n{posixpath.basename(frame.file.replace(chr(92), '/'))}:{frame.line}"


def render_code_dot(result: Result, options: RenderOptions) -> str:
    labels = Labels(result)
    failed = result.failures_by_node()
    out = [
        "digraph flowinsight_code {",
        "  graph [rankdir=LR, fontname=Helvetica, fontsize=11, labelloc=t, labeljust=l, "
        f"label={quote(_title(result))}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, '
        'fillcolor="#ffffff", color="#606060"];',
        "  edge [fontname=Helvetica, fontsize=9];",
    ]
    for node in result.nodes:
        attrs = ["shape=ellipse"] if node.kind is NodeKind.DRIVER else []
        if failed.get(node.id):
            attrs += [f'color="{_FAILED}"', f'fontcolor="{_FAILED}"', "penwidth=2.5"]
        out.append(f"  {quote(node.id)} [label={quote(labels.node(node.id))}"
                   + "".join(f", {a}" for a in attrs) + "];")
    drawn: set[tuple[str, str]] = set()
    roots = _tries(result)
    for caller in sorted(roots):
        counter = [0]

        def walk(parent: str, level: dict[tuple[str, int, str], _Step]) -> None:
            for key in sorted(level):
                step = level[key]
                counter[0] += 1
                name = f"code:{caller}:{counter[0]}"
                out.append(f"  {quote(name)} [label={quote(_frame_label(step.frame))}, "
                           f'shape=box, style="filled", fillcolor="{_FRAME_FILL}", '
                           f'color="{_CODE}", tooltip={quote(step.frame.file)}];')
                if parent:
                    out.append(f"  {quote(parent)} -> {quote(name)} "
                               f'[color="{_CODE}", label={quote(str(step.tasks))}];')
                for target in sorted(step.targets):
                    out.append(f"  {quote(name)} -> {quote(target)} [style=bold, "
                               f'color="{_CALL}", arrowhead=normalnormal, '
                               f"label={quote(str(step.targets[target]))}];")
                    drawn.add((caller, target))
                walk(name, step.children)

        walk(caller, roots[caller])
    for c in result.call_flows:
        if (c.source, c.target) not in drawn:
            out.append(f"  {quote(c.source)} -> {quote(c.target)} "
                       f'[label={quote(str(c.count))}, color="{_CALL}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def _title(result: Result) -> str:
    sources = sorted({s.source for s in result.call_sites})
    if not sources:
        return ("flowinsight code view — no call sites recorded (flowinsight.recorder, or "
                "RAY_record_task_actor_creation_sites=1 with `flowinsight collect`)")
    return (f"flowinsight code view — {len(result.call_sites)} call sites "
            f"({', '.join(sources)})")


def render(result: Result, options: RenderOptions) -> bytes:
    return render_code_dot(result, options).encode()


def render_svg(result: Result, options: RenderOptions) -> bytes:
    from flowinsight.render.svg import draw

    return draw(render_code_dot(result, options), "svg")


RENDERER = Renderer("code-dot", False, "the code view: callers expanded into their frames "
                    "(Graphviz source)", one_piece(render))
SVG_RENDERER = Renderer("code-svg", False, "the code view drawn by Graphviz (needs `dot`)",
                        one_piece(render_svg))
