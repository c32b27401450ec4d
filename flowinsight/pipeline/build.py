"""From a Capture to a Result: the steps, in order.

1. merge tasks: reduce_events (pipeline/partial.py), per file or per group of files when
   readers work in parallel, the pieces merged in order
2. CORE, each `(Analysis) -> Analysis` (steps/state.py: the inputs, and a field for what each
   step works out), one module each in steps/:
   job (`--job`: the job's view, its tasks and what they called: job_view.py), selection
   (scan.py: the `--since/--until` window; the names Ray runs tasks under), identity (the
   namer: naming.py, identity.py), calls (the facts of every task and the sweep: attempts
   with their durations, call flows, node stats, in one pass: facts.py, attempt_rows.py),
   flows (data flows: graph.py), actors (actors.py), sites (call sites placed:
   call_sites.py), unexecuted (the failed attempts whose function never ran), release
   (`consume`: the records let go), failures (judged by cause: failures.py), coverage
   (coverage.py, capture_end.py), critical (the critical path: critical.py), assemble (jobs,
   nodes, warnings: the core's Result)
3. STEPS, each `(Result, Context) -> Result`: call sites (call_sites.py), Serve and Tune
   (library_views.py), Ray Data's plans (datasets.py), internals hidden, `--focus` and
   `--max-nodes` (views.py), the call sites left in view

A new step is a module in steps/ (or a function here, for STEPS) put in its place in CORE or
STEPS: a core step reads the fields of the steps before it and fills its own; nothing else
passes between steps.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable

from flowinsight.model.capture import Capture, ReadAccount
from flowinsight.pipeline.actor_threads import note_after_creation
from flowinsight.pipeline.call_sites import Frames, call_sites, with_failure_sites
from flowinsight.pipeline.datasets import datasets
from flowinsight.pipeline.library_views import serve_deployments, tune_trials
from flowinsight.pipeline.node_ips import with_node_ips
from flowinsight.pipeline.options import Options
from flowinsight.pipeline.partial import Partial, reduce_events
from flowinsight.pipeline.ray_nodes import with_ray_nodes
from flowinsight.pipeline.steps.actors import actors
from flowinsight.pipeline.steps.assemble import assemble
from flowinsight.pipeline.steps.calls import calls
from flowinsight.pipeline.steps.coverage import coverage
from flowinsight.pipeline.steps.critical import critical
from flowinsight.pipeline.steps.failures import failures
from flowinsight.pipeline.steps.flows import flows
from flowinsight.pipeline.steps.identity import identify
from flowinsight.pipeline.steps.job import job
from flowinsight.pipeline.steps.release import release
from flowinsight.pipeline.steps.unexecuted import unexecuted
from flowinsight.pipeline.steps.selection import select
from flowinsight.pipeline.steps.sites import sites
from flowinsight.pipeline.steps.state import Analysis, CoreStep, need
from flowinsight.pipeline.views import focus, hide_internals, prune
from flowinsight.result import Result

__all__ = ["CORE", "STEPS", "Context", "Options", "analyze", "analyze_partial"]

# The core, in this order. The namer's answers depend on the order it is asked in (a node's
# key is the one its first task gave it: calls asks every task in table order), and flows and
# sites read the records, which release lets go under `consume`.
CORE: tuple[CoreStep, ...] = (job, select, identify, calls, flows, actors, sites, unexecuted,
                              release, failures, coverage, critical, assemble)


def analyze(capture: Capture, options: Options = Options()) -> Result:
    """The whole analysis of a capture held in memory."""
    return analyze_partial(reduce_events(capture.events), capture.account, options)


def analyze_partial(reduced: Partial, account: ReadAccount, options: Options = Options(),
                    consume: bool = False) -> Result:
    """The analysis of events already reduced (by reduce_events, or by readers that reduce file
    by file and merge), with the account of what was read: of every job (`options.job` chooses
    its view here: steps/job.py). `reduced` is only read, unless `consume`: then the task
    records are let go once the attempts are worked out (the result's attempts take the place
    of the records instead of adding to them), and it cannot be analysed again."""
    consume = consume and not options.max_nodes  # drawings may analyse it again, by class
    analysis = Analysis(reduced, account, options, consume)
    for core in CORE:
        analysis = core(analysis)
    result = need(analysis.result, "the result")
    placed = need(analysis.sites, "the call sites")
    context = Context(analysis.reduced, account, options, placed.sites, placed.placed,
                      lambda changed: analyze_partial(reduced, account, changed),
                      need(analysis.selected, "the selection").operators)
    for step in STEPS:
        result = step(result, context)
    return result


@dataclass(frozen=True, slots=True)
class Context:
    """What the steps after the core read besides the result they are handed."""

    reduced: Partial
    account: ReadAccount
    options: Options
    sites: dict[str, tuple[Frames, str]]  # call sites by task (call_sites.task_sites)
    placed: dict[str, tuple[str, str]]  # their tasks' and callers' nodes (place_sites)
    reanalyze: Callable[[Options], Result]  # the same analysis under other options
    # task id -> its Ray Data operator's uuid, where Ray Data did not label the task with it
    # (data_stages.operator_stages)
    operators: dict[str, str]


def with_call_sites(result: Result, context: Context) -> Result:
    """Where in the user's code each node was called from, and each failure's site."""
    sites = context.sites
    if not sites:
        return result
    return replace(result, failures=with_failure_sites(result.failures, sites),
                   call_sites=call_sites(sites, context.placed, {n.id for n in result.nodes}))


def with_library_views(result: Result, context: Context) -> Result:
    """Serve's deployments and Tune's trials."""
    return replace(
        result,
        serve=serve_deployments(result.actors, result.nodes, result.attempts, result.failures,
                                result.call_flows, result.ends),
        tune=tune_trials(result.actors, result.nodes, result.attempts, result.failures))


def with_datasets(result: Result, context: Context) -> Result:
    """Ray Data's plans, each operator with what ran it."""
    events = context.reduced.dataset_events
    if not events:
        return result
    return replace(result, datasets=datasets(events, result.nodes, result.actors,
                                             result.attempts, result.data_flows,
                                             result.failures, context.operators))


def without_internals(result: Result, context: Context) -> Result:
    """Ray's internals out of the view, unless --internals (views.hide_internals)."""
    return result if context.options.internals else hide_internals(result)


def with_actor_thread_note(result: Result, context: Context) -> Result:
    """The calls Ray attributes to an actor's creation that its methods made
    (actor_threads.py)."""
    return note_after_creation(result)


def focused(result: Result, context: Context) -> Result:
    """--focus: a node and its neighbours."""
    return focus(result, context.options.focus) if context.options.focus else result


# A drawing of more instances of one actor class than this draws classes: a pool of alike
# actors (Tune's trial actors, Ray Data's and Serve's pools) as one box, not a column of them
MAX_INSTANCES_DRAWN = 8


def within_max_nodes(result: Result, context: Context) -> Result:
    """--max-nodes, for drawing: actor instances collapsed into their classes (the analysis
    again, by class) where the graph has more nodes than that or a class more than
    MAX_INSTANCES_DRAWN instances, then the busiest nodes kept (views.prune)."""
    options = context.options
    if not options.max_nodes:
        return result
    crowded = max(Counter(a.class_name for a in result.actors).values(), default=0)
    large = len(result.nodes) > options.max_nodes
    if not large and crowded <= MAX_INSTANCES_DRAWN:
        return result
    if options.group_by == "instance" and any(n.actor_id for n in result.nodes):
        grouped = context.reanalyze(replace(options, group_by="class"))
        classes = len(grouped.actors)
        note = (f"collapsed for drawing: {len(result.actors)} actor instances into "
                f"{classes} class{'' if classes == 1 else 'es'}" + (
                    "" if large else f" ({crowded} of one class; --max-nodes 0 draws each)"))
        result = replace(grouped, warnings=(*grouped.warnings, note))
    return prune(result, options.max_nodes)


def call_sites_in_view(result: Result, context: Context) -> Result:
    """The call sites of the nodes the view kept."""
    options = context.options
    if not result.call_sites or not (options.focus or options.max_nodes or result.hidden.nodes):
        return result
    kept = {n.id for n in result.nodes}
    return replace(result, call_sites=tuple(s for s in result.call_sites if s.node in kept))


Step = Callable[[Result, Context], Result]

# After CORE, in this order: each takes the result so far and gives the next.
STEPS: tuple[Step, ...] = (with_node_ips, with_ray_nodes, with_call_sites, with_library_views,
                           with_datasets, without_internals, with_actor_thread_note, focused,
                           within_max_nodes, call_sites_in_view)
