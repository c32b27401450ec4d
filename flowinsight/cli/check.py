"""`flowinsight check`: rules on a run's call structure and performance, for CI gates."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from flowinsight.ci.rules import (DEFAULT_MIN_MS, Baseline, Rules, check_ratio, parse_edge,
                                  parse_p95, read_rules)
from flowinsight.cli.common import input_options
from flowinsight.cli.diff import EXIT_CHECK_FAILED, graph_from, incomplete
from flowinsight.cli.output import refuse_overwrite, write_file
from flowinsight.errors import UsageError


def _options_rules(max_failures: int | None, max_p95: tuple[str, ...],
                   require_edge: tuple[str, ...], forbid_edge: tuple[str, ...],
                   min_coverage: float | None, baseline: str | None, allow_new_nodes: bool,
                   allow_new_edges: bool, calls_tolerance: float | None,
                   p95_tolerance: float | None, throughput_tolerance: float | None,
                   min_ms: float | None) -> Rules:
    baseline_given = (allow_new_nodes or allow_new_edges or min_ms is not None or any(
        t is not None for t in (calls_tolerance, p95_tolerance, throughput_tolerance)))
    return Rules(
        max_failures=max_failures,
        min_coverage=None if min_coverage is None else check_ratio(min_coverage,
                                                                   "--min-coverage"),
        max_p95=tuple(parse_p95(p) for p in max_p95),
        require_edges=tuple(parse_edge(e, "--require-edge") for e in require_edge),
        forbid_edges=tuple(parse_edge(e, "--forbid-edge") for e in forbid_edge),
        baseline=Baseline(path=baseline or "", new_nodes=allow_new_nodes,
                          new_edges=allow_new_edges, calls_tolerance=calls_tolerance,
                          p95_tolerance=p95_tolerance, throughput_tolerance=throughput_tolerance,
                          min_ms=min_ms)
        if baseline or baseline_given else None)


_PCT = click.FloatRange(min=0)


@click.command()
@input_options
@click.option("--rules", "rules_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Rules file: TOML (or YAML when PyYAML is installed). Options add to it.")
@click.option("--max-failures", metavar="N", type=click.IntRange(min=0),
              help="At most N failed task attempts.")
@click.option("--max-p95", metavar="PATTERN=MS", multiple=True,
              help="Every node matching PATTERN has p95 execution time <= MS. Repeatable.")
@click.option("--require-edge", metavar="'A->B'", multiple=True,
              help="A call edge from a node matching A to one matching B exists. Repeatable.")
@click.option("--forbid-edge", metavar="'A->B'", multiple=True,
              help="No call edge from a node matching A to one matching B. Repeatable.")
@click.option("--min-coverage", metavar="RATIO", type=float,
              help="The capture holds at least RATIO (0..1) of the tasks complete.")
@click.option("--baseline", metavar="FILE", type=click.Path(exists=True),
              help="Compare with a graph saved by `export --format json`: no new nodes or "
                   "edges, and the tolerances below.")
@click.option("--allow-new-nodes", is_flag=True, help="With --baseline: new nodes are fine.")
@click.option("--allow-new-edges", is_flag=True, help="With --baseline: new edges are fine.")
@click.option("--calls-tolerance", metavar="PCT", type=_PCT,
              help="With --baseline: each call edge's count within ±PCT%.")
@click.option("--p95-tolerance", metavar="PCT", type=_PCT,
              help="With --baseline: each node's p95 execution time within ±PCT%.")
@click.option("--throughput-tolerance", metavar="PCT", type=_PCT,
              help="With --baseline: calls/s and bytes/s of each edge within ±PCT%.")
@click.option("--min-ms", metavar="MS", type=_PCT, default=None,
              help=f"With --p95-tolerance: ignore nodes under MS on both sides "
                   f"[default: {DEFAULT_MIN_MS:g}].")
@click.option("--junit", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
              help="Also write the outcomes as a JUnit XML report, one test case per rule.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the broken rules.")
def check(sessions: tuple[str, ...], rules_file: str | None, max_failures: int | None,
          max_p95: tuple[str, ...], require_edge: tuple[str, ...], forbid_edge: tuple[str, ...],
          min_coverage: float | None, baseline: str | None, allow_new_nodes: bool,
          allow_new_edges: bool, calls_tolerance: float | None, p95_tolerance: float | None,
          throughput_tolerance: float | None, min_ms: float | None, junit: str | None,
          quiet: bool, job: str, strict: bool) -> None:
    """Check a run against rules; exit 0 when all hold, 1 when any is broken, 2 for bad
    usage or input. Each rule prints one line: `ok` or `FAIL`, with the numbers.

    Patterns are globs (*, ?, [abc]) matched against a node's readable name
    (`RayTask 'source'.put_packet`, `Stage.put_packet`, `main`, `run_code_task`) and its id.
    SESSION may also be a JSON graph saved with `export --format json`.

    \b
    Examples:
      flowinsight check /tmp/ray/session_latest --rules rules.toml --junit check.xml
      flowinsight check run/ --max-failures 0 --max-p95 'RayTask*.put_packet=50'
      flowinsight check run/ --require-edge "main->RayTask 'source'.put_packet"
      flowinsight check run/ --baseline main.json --calls-tolerance 10 --p95-tolerance 25
    """
    # here, not at the top: every command imports this module, few of them check
    from flowinsight.ci.evaluate import evaluate, notes
    from flowinsight.ci.junit import junit_xml

    from_file = read_rules(rules_file) if rules_file else Rules()
    options = _options_rules(
        max_failures, max_p95, require_edge, forbid_edge, min_coverage, baseline,
        allow_new_nodes, allow_new_edges, calls_tolerance, p95_tolerance, throughput_tolerance,
        min_ms)
    rules = from_file.extended(options)
    skipped = ""
    if rules.baseline is not None and not rules.baseline.path:
        if options.baseline is not None:
            raise UsageError("baseline rules need a baseline: --baseline FILE or file = \"...\" "
                             "in the rules file's [baseline]")
        # A rules file's [baseline] without `file` applies when --baseline is given: CI has
        # no baseline on its first run.
        skipped = "the rules file's [baseline] rules were not checked: no --baseline given"
        rules = dataclasses.replace(rules, baseline=None)
    if rules.empty and not skipped:  # (a file of [baseline] rules alone: its first run, noted)
        raise UsageError(f"no rules: {rules_file} holds none, and no rule option was given"
                         if rules_file else "no rules: give --rules FILE or rule options "
                         "(see --help)")
    base = None
    if rules.baseline is not None:
        if not Path(rules.baseline.path).exists():
            raise UsageError(f"{rules.baseline.path}: baseline not found")
    refuse_overwrite(junit, "--junit", (*sessions, *(
        [rules.baseline.path] if rules.baseline is not None else [])))
    if rules.baseline is not None:
        base = graph_from((rules.baseline.path,), "", strict, "--baseline")
    graph = graph_from(sessions, job, strict)

    outcomes = evaluate(rules, graph, base)
    broken = sum(1 for o in outcomes if not o.ok)
    for o in outcomes:
        if not (quiet and o.ok):
            click.echo(o.line())
    # a comparison with a baseline: either side may lack records (without one, --min-coverage
    # is the rule for the run's own coverage)
    incomplete_notes = [] if base is None else [incomplete(base, "the baseline"),
                                                incomplete(graph, "the run")]
    for note in notes(graph, base) + [n for n in incomplete_notes if n] + (
            [skipped] if skipped else []):
        click.echo(f"note: {note}")
    click.echo(f"flowinsight check: {broken} of {len(outcomes)} rule(s) broken" if broken
               else f"flowinsight check: all {len(outcomes)} rule(s) hold" if outcomes
               else "flowinsight check: no rule checked")
    if junit:
        properties = {"session": graph.origin}
        if base is not None:
            properties["baseline"] = base.origin
        write_file(junit, "--junit", junit_xml(outcomes, properties))
    if broken:
        # SystemExit, not click's Exit: cli.main() in standalone_mode=False returns Exit's code,
        # and flowinsight.cli.main() does not pass that return value on.
        raise SystemExit(EXIT_CHECK_FAILED)
