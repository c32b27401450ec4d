"""What a result warns about: what the capture lacks and what that costs, lines skipped, and
the settings that turned Ray's events off."""

from __future__ import annotations

from datetime import datetime, timezone

from flowinsight.model.capture import ReadAccount
from flowinsight.result import CAPTURE_END, JOB_END, Actor, Coverage, Unfinished


# Serve's actors (ray.serve._private: ServeController, ProxyActor; replicas are named
# ServeReplica:<app>:<deployment>): Serve turns task events off in them unless asked.
_SERVE_CLASSES = ("ServeController", "ProxyActor", "ServeReplica:")
_NAMED = 4  # classes named in a warning


def silent_actors(actors: dict[str, Actor], spoken: set[str],
                  sources: set[str] | frozenset[str]) -> list[Actor]:
    """The actors no record of Ray's task events speaks for (scan.TableScan.spoken: not even
    their creation), where the capture has Ray's events: their task events were off. Ray
    records an actor task's events only if its spec enables them, on its owner's side and
    on its executor's alike (`enable_task_events`, an option of the actor or of a method), so
    such an actor's calls are known at most from the recorder's submissions. Without Ray's
    events at all nothing speaks for any actor: events_off says so instead."""
    if "export_api" not in sources:
        return []
    return [a for a in actors.values() if a.id not in spoken]


def _classes(actors: list[Actor]) -> str:
    names = sorted({a.class_of or a.class_name or a.id for a in actors})
    shown = ", ".join(names[:_NAMED])
    return shown + (f", ... ({len(names) - _NAMED} more)" if len(names) > _NAMED else "")


def events_off(silent: list[Actor], sources: tuple[str, ...],
               tasks: int) -> tuple[str, ...]:
    """Which setting turned task events off, where the capture shows they were."""
    out = []
    serve = [a for a in silent if (a.class_of or a.class_name).startswith(_SERVE_CLASSES)]
    # Ray's other internals are made with task events off by Ray itself (the JobSupervisor of
    # a submitted job: job_manager.py), which no setting of the user's changes
    other = [a for a in silent if a not in serve and not a.internal]
    if serve:
        # ray.serve._private.constants reads it at import, in the driver (which starts the
        # controller) and in the controller (which starts the proxies and replicas)
        out.append(f"{len(serve)} Serve actor(s) without any task event from Ray "
                   f"({_classes(serve)}): Serve creates its actors with task events off "
                   "unless RAY_SERVE_ENABLE_TASK_EVENTS=1 is in the environment before "
                   "ray.serve is imported and Ray starts (Serve reads it at import); set it so "
                   "to see their calls' states and durations")
    if other:
        out.append(f"{len(other)} actor(s) without any task event from Ray "
                   f"({_classes(other)}): their task events were off (the actor created with "
                   "enable_task_events=False, in @ray.remote or .options(); or, for every "
                   "process, RAY_task_events_report_interval_ms=0 or "
                   "RAY_enable_export_api_write_config without EXPORT_TASK); create them with "
                   "task events on to see their calls' states and durations")
    if tasks and "export_api" not in sources:
        out.append("no Export API events: states, durations and failures are unknown; set "
                   "RAY_enable_export_api_write=1 before ray start / ray.init")
    return tuple(out)


def orphan_warning(orphans: int) -> tuple[str, ...]:
    if not orphans:
        return ()
    # the caller's submission unrecorded: a driver without the recorder (the recorder in the
    # workers only: `ray start` without RAY_RUNTIME_ENV_HOOK), Ray's own processes (the
    # dashboard calling the JobSupervisors it creates), or an older recorder
    return (f"{orphans} argument read(s) left out of the data flows: an ObjectRef Ray inlined "
            "into the task (under 100 KiB) whose caller the recorder did not record submitting "
            "(a driver run without the recorder, Ray's own processes, or a recorder older "
            "than this one)",)


def _what_is_missing(cover: Coverage, silent_calls: int) -> str:
    """What an incomplete capture costs the user. Calls go missing only with the events that
    name a caller (a definition, a parent, a skipped line, a cut file); an attempt without its
    final state or execution is still a call of the graph, only its outcome and duration are
    unknown. Ray writes a worker's task events about once a second
    (RAY_task_events_report_interval_ms), and the last of them are lost when the job ends or
    the worker dies first; it writes none for a call to an actor whose task events are off
    (`silent_calls` of the attempts without a final state: the recorder saw them submitted)."""
    if cover.without_definition or cover.without_parent or cover.truncated_files \
            or cover.skipped_lines:
        return "the graph may miss calls"
    silent = min(silent_calls, cover.without_final_state)
    why = []
    if silent:
        why.append(f"{silent} of them {'is a call' if silent == 1 else 'are calls'} to "
                   "actors whose task events were off, as said below: the recorder saw "
                   f"{'it' if silent == 1 else 'them'} submitted, Ray recorded nothing of "
                   f"{'it' if silent == 1 else 'them'}")
    if cover.without_final_state > silent or cover.without_execution:
        why.append("Ray writes a worker's task events about once a second and loses the last "
                   "ones when the job ends or the worker dies first")
    return ("those attempts are in the graph with their calls, their durations or outcomes "
            f"unknown ({'; '.join(why)})")


def _unfinished(cover: Coverage) -> tuple[str, ...]:
    """What was left unfinished with nothing missing (pipeline/capture_end.py): the jobs the
    capture ended during, and the calls a job's end ended. Said whatever else the capture
    lacks; these attempts are never counted among its gaps."""
    out = []
    during = [u for u in cover.unfinished if u.at == CAPTURE_END]
    if during:
        calls = _calls(during)
        out.append(f"capture ended while job {_jobs(during)} ran (no end recorded: a copy taken "
                   f"mid-run, or Ray stopped before it recorded the end): " + (
                       f"{calls} then (as Ray last wrote their states, about once a second), "
                       "their outcomes after the capture; not failures, not gaps of the capture"
                       if calls else "its driver still running, no call unfinished"))
    cut = [u for u in cover.unfinished if u.at == JOB_END and (u.running or u.queued)]
    if cut:
        out.append(f"job {_jobs(cut)} ended with {sum(u.running + u.queued for u in cut)} "
                   f"call(s) unfinished ({_calls(cut)}): Ray ends them with their job (its GCS "
                   "marks them FAILED, WORKER_DIED, 15 s later, in its own store only: "
                   "gcs_mark_task_failed_on_job_done_delay_ms); not failures, not missing "
                   "from the capture")
    return tuple(out)


def _jobs(unfinished: list[Unfinished]) -> str:
    named = [u.job_id for u in unfinished]
    return ", ".join(named[:_NAMED]) + (
        f", ... ({len(named) - _NAMED} more)" if len(named) > _NAMED else "")


def _calls(unfinished: list[Unfinished]) -> str:
    running, queued = sum(u.running for u in unfinished), sum(u.queued for u in unfinished)
    return " and ".join(f"{n} {state}" for n, state in ((running, "running"),
                                                         (queued, "queued")) if n)


def window_note(since_ns: int | None, until_ns: int | None) -> tuple[str, ...]:
    """What a --since/--until window keeps, said where the result is read: without it, a job's
    wall time (its whole run) reads as the window's."""
    if since_ns is None and until_ns is None:
        return ()
    ends = [f"{w} {utc(t)}" for w, t in (("from", since_ns), ("to", until_ns)) if t is not None]
    return (f"time window {' '.join(ends)}: the graph, tables, failures and critical path hold "
            "the tasks active in it, each whole; the jobs' start and wall time are their "
            "whole run's",)


def utc(ns: int) -> str:
    """The time to the millisecond, cut (not rounded) as Ray's ms stamps are."""
    moment = datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def capture_warnings(cover: Coverage, has_objects: bool, read: ReadAccount,
                     has_tasks: bool, silent_calls: int = 0) -> tuple[str, ...]:
    """What the capture lacks (coverage, tasks without definition), the lines skipped, and
    whether data flow can be known at all. `silent_calls`: the task records of actors whose
    task events were off (warnings.silent_actors), each an attempt without a final state."""
    out = list(_unfinished(cover))
    if not cover.complete and cover.tasks:
        missing = [f"{n} {what}" for n, what in (
            (cover.without_definition, "without a definition"),
            (cover.without_parent, "whose caller was never recorded"),
            (cover.without_final_state, "attempts without a final state"),
            (cover.without_execution, "attempts whose execution was not recorded"),
            (cover.truncated_files, "truncated files"),
            (cover.skipped_lines, "skipped lines"),
        ) if n]
        out.append(f"incomplete capture: coverage {cover.ratio:.1%} of {cover.tasks} tasks "
                   f"({', '.join(missing)}); {_what_is_missing(cover, silent_calls)}")
    if cover.without_definition or cover.undefined_tasks:
        named = max(0, cover.without_definition - cover.undefined_tasks)
        how = [f"{n} {what}" for n, what in (
            (named, "named from their execution span or their actor's records"),
            (cover.undefined_tasks, 'drawn as "(undefined task)" placeholders'),
        ) if n]
        out.append(f"{max(cover.without_definition, cover.undefined_tasks)} task(s) without "
                   "definition: their submission "
                   "and definition events are missing (a truncated or partial capture: lines "
                   "cut, files rotated away, or a process stopped before Ray wrote its "
                   f"events); {', '.join(how)}")
    if read.skipped_total:
        out.append(f"{read.skipped_total} line(s) skipped: " + ", ".join(
            f"{r} {n}" for r, n in read.skipped_by_reason().items()))
    if has_tasks and not has_objects:
        out.append("no object events: data flow is unknown (stock Ray writes none; "
                   "record them with flowinsight.recorder)")
    return tuple(out)
