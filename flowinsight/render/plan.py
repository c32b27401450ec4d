"""`plan`: what a library user wrote, as DOT: each Ray Data dataset's operators in order
(Read -> Map -> ... -> Write) with their tasks, durations, failures and the bytes they handed on
(pipeline/datasets.py); Serve's deployments and the calls between them; Tune's trials
(pipeline/library_views.py). A session with none of them gives a graph that says so."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.dot import quote
from flowinsight.render.data_plans import plan_groups
from flowinsight.render.fold import fill, percent
from flowinsight.units import counted, human_bytes, human_ms
from flowinsight.result import Dataset, DatasetOp, Result, is_class_id

_FAILED = "#c0392b"
_FLOW = "#1f6fb2"


def _label(ops: Sequence[DatasetOp], total_ms: float | None) -> str:
    """An operator's box: its figures in one execution of its dataset, or summed over several
    (`ops`, one per execution; a median of several runs' tasks is not known: their longest)."""
    op = ops[0]
    lines = [op.name or op.id]
    tasks = sum(o.tasks for o in ops)
    runs = [o.exec_ms for o in ops if o.exec_ms is not None]
    if tasks:
        work = counted(tasks, "task")
        if len(ops) > 1:
            work += f" in {counted(len(ops), 'execution')}"
            if runs:
                work += f" · max {human_ms(max(r.max for r in runs))}"
        elif op.exec_ms is not None:
            work += f" · p50 {human_ms(op.exec_ms.p50)} · max {human_ms(op.exec_ms.max)}"
        lines.append(work)
    share = _share(ops, total_ms)
    if runs and share is not None:
        lines.append(f"total {human_ms(sum(r.sum for r in runs))} ({percent(share)} of time)")
    failures = sum(o.failures for o in ops)
    if failures:
        lines.append(f"{failures} failed")
    if all(o.bytes_out is not None for o in ops):
        lines.append(f"{human_bytes(sum(o.bytes_out or 0 for o in ops))} out")
    states = Counter(o.state for o in ops if o.state)
    if len(states) == 1 and "FINISHED" not in states:
        lines.append(next(iter(states)))
    elif len(states) > 1:
        lines.append(", ".join(f"{n} {state}" for state, n in sorted(states.items())))
    lines += dict.fromkeys(issue for o in ops for issue in o.issues)
    return "\n".join(lines)


def _share(ops: Sequence[DatasetOp], total_ms: float | None) -> float | None:
    """The operator's share of all execution time, where the picture says what that is."""
    runs = [o.exec_ms.sum for o in ops if o.exec_ms is not None]
    if total_ms is None or not runs:
        return None
    return sum(runs) / total_ms if total_ms > 0 else 0.0


def _serve(result: Result, out: list[str]) -> None:
    if not result.serve:
        return
    out.append("  subgraph cluster_serve {")
    out.append(f"    label={quote('Serve')}; fontname=\"Helvetica\"; fontsize=10;")
    for d in result.serve:
        lines = [f"{d.app}: {d.name}", counted(len(d.replicas), "replica")]
        if d.requests:
            # the tries a full replica rejected are cancelled and sent again: not requests
            lines.append(f"{d.requests - d.cancelled} requests"
                         + (f" · p50 {human_ms(d.request_ms.p50)}" if d.request_ms else ""))
            if d.cancelled:
                lines.append(f"{d.cancelled} cancelled")
        elif not d.calls:
            lines.append("no calls recorded")
        if d.failures:
            lines.append(f"{d.failures} failed")
        colour = f', color="{_FAILED}", penwidth=2' if d.failures else ""
        out.append(f"    {quote(f'serve/{d.app}/{d.name}')} [label={quote(chr(10).join(lines))}"
                   f"{colour}];")
    for d in result.serve:
        requests, checks = dict(d.calls_to), dict(d.load_checks_to)
        for target in sorted(requests.keys() | checks.keys()):
            label = "\n".join(counted(n, what) for n, what in (
                (requests.get(target, 0), "request"), (checks.get(target, 0), "load check"))
                if n)
            out.append(f"    {quote(f'serve/{d.app}/{d.name}')} -> "
                       f"{quote(f'serve/{d.app}/{target}')} [label={quote(label)}];")
    out.append("  }")


def _tune(result: Result, out: list[str]) -> None:
    if not result.tune:
        return
    out.append("  subgraph cluster_tune {")
    out.append(f"    label={quote('Tune trials')}; fontname=\"Helvetica\"; fontsize=10;")
    for t in result.tune:
        # train calls, not Tune's iterations: a function trainable that returns by itself
        # takes one more train() call (no new result), and a failing one's last call raised
        # one entry per trial actor, or per trainable with --group-by class (its id a class's)
        head = t.trainable if is_class_id(t.actor_id) else \
            f"{t.trainable} #{t.actor_id[:6]}"
        lines = [head, counted(t.train_calls, "train call")]
        if t.restores:  # a trial resumed from a checkpoint (paused, exploited, retried)
            lines.append(f"{t.starts} starts, {t.restores} restored")
        if t.train_ms is not None:
            lines.append(f"train p50 {human_ms(t.train_ms.p50)}")
        if t.failures:
            lines.append(f"{t.failures} failed")
        colour = f', color="{_FAILED}", penwidth=2' if t.failures else ""
        out.append(f"    {quote(f'tune/{t.actor_id}')} [label={quote(chr(10).join(lines))}"
                   f"{colour}];")
    out.append("  }")


def plan_lines(result: Result, total_ms: float | None = None) -> list[str]:
    """The plan's clusters (datasets, Serve, Tune) as DOT lines: what `plan` draws, and what
    the default picture (`dot`, `svg`, ...) draws beside the call graph of a library job.
    With `total_ms` (the picture's: all execution time) each operator is filled and labelled
    by its share of it, as the picture's nodes are."""
    out: list[str] = []
    _serve(result, out)
    _tune(result, out)
    for cluster, group in enumerate(plan_groups(result)):
        runs = [result.datasets[i] for i in group]
        d = runs[0]
        out.append(f"  subgraph cluster_dataset_{cluster} {{")
        out.append(f"    label={quote(_title(runs))}; fontname=\"Helvetica\"; fontsize=10;")
        for at, op in enumerate(d.operators):
            ops = [run.operators[at] for run in runs]
            colour = f', color="{_FAILED}", penwidth=2' if any(o.failures for o in ops) else ""
            share = _share(ops, total_ms)
            if share is not None:
                colour += f', fillcolor="{fill(share)}"'
            out.append(f"    {quote(f'{d.id}/{op.id}')} "
                       f"[label={quote(_label(ops, total_ms))}{colour}];")
        known = {op.id for op in d.operators}
        for op in d.operators:
            for source in op.inputs:
                if source in known:
                    out.append(f"    {quote(f'{d.id}/{source}')} -> {quote(f'{d.id}/{op.id}')} "
                               f'[color="{_FLOW}"];')
        out.append("  }")
    return out


def _title(runs: Sequence[Dataset]) -> str:
    d = runs[0]
    if len(runs) == 1:
        return f"dataset {d.id} ({d.state})" if d.state else f"dataset {d.id}"
    states = Counter(r.state for r in runs if r.state)
    said = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    return f"dataset {d.id} and {len(runs) - 1} later executions of its plan" + \
        (f" ({said})" if said else "")


def render(result: Result, options: RenderOptions) -> bytes:
    out = ["digraph plan {", "  rankdir=LR;",
           '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
           'fontname="Helvetica", fontsize=10];']
    if not (result.datasets or result.serve or result.tune):
        out.append(f"  empty [shape=plaintext, label="
                   f"{quote('no Ray Data plan, Serve deployment or Tune trial recorded')}];")
    out += plan_lines(result)
    out.append("}")
    return ("\n".join(out) + "\n").encode()


RENDERER = Renderer("plan", False, "what a library user wrote, as DOT: Ray Data plans, Serve "
                    "deployments, Tune trials", one_piece(render))
