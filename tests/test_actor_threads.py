"""Calls Ray attributes to an actor's creation that its async or threaded methods made
(pipeline/actor_threads.py): counted by the times Ray records, said in one warning."""

from __future__ import annotations

import re
from dataclasses import replace

from conftest import render, result_of, sample
from flowinsight.pipeline.actor_threads import after_creation
from flowinsight.result import Attempt, Result

NOTE = "Ray records a call an actor makes after its __init__"


def _by_class(result: Result) -> dict[str, int]:
    names = {n.id: n.name for n in result.nodes}
    return {names[node]: count for node, count in after_creation(result).items()}


def _notes(result: Result) -> list[str]:
    return [w for w in result.warnings if w.startswith(NOTE)]


def test_async_and_threaded_actors_calls_are_counted() -> None:
    # samples/libraries/README.md: AsyncWorker.work -> square x4 and AsyncWorker.relay ->
    # ThreadedWorker.work x2, ThreadedWorker.work -> square x6, all recorded by Ray with the
    # actor's creation task as their caller
    result = result_of(sample("libraries/async_threaded"))
    assert _by_class(result) == {"AsyncWorker": 6, "ThreadedWorker": 6}
    [note] = _notes(result)
    assert "AsyncWorker 6 calls, ThreadedWorker 6 calls;" in note
    assert "ray-project/ray#31879" in note


def test_the_recorder_names_the_method_so_no_note() -> None:
    result = result_of(sample("libraries/async_threaded_recorded"))
    assert after_creation(result) == {}
    assert _notes(result) == []


def test_serve_replica_calls_to_other_deployments() -> None:
    # the Ingress replica's __call__ awaits Doubler 7 times through a DeploymentHandle
    result = result_of(sample("libraries/serve_events"))
    assert list(after_creation(result).values()) == [7]
    [note] = _notes(result)
    assert "ServeReplica:doubler_app:Ingress 'SERVE_REPLICA::doubler_app#Ingress#" in note
    assert "' 7 calls;" in note


def test_plain_actors_have_no_note() -> None:
    for name in ("recorded/sage_pipeline", "sage_pipeline", "libraries/param_server",
                 "libraries/actor_restart"):
        assert _notes(result_of(sample(name))) == [], name


def test_only_calls_submitted_after_every_creation_attempt_ended() -> None:
    result = result_of(sample("libraries/async_threaded"))
    rows = list(result.attempts)
    counts = after_creation(result)
    creation = next(a for a in rows if a.node in counts and a.node.startswith(
        next(n.id for n in result.nodes if n.name == "AsyncWorker")))
    assert creation.end_ns is not None
    children = [i for i, a in enumerate(rows) if a.parent_task_id == creation.task_id]
    assert len(children) == 6
    # one child submitted while __init__ ran, one with no submission time: neither counted
    rows[children[0]] = replace(rows[children[0]], pending_ns=creation.end_ns - 1)
    rows[children[1]] = replace(rows[children[1]], pending_ns=None)
    # a second creation attempt ending after the rest: calls before its end are not counted
    changed = replace(result, attempts=tuple(rows))
    assert after_creation(changed)[creation.node] == 4
    later = replace(creation, attempt=1, end_ns=max(
        a.pending_ns or 0 for a in rows) + 1)
    assert creation.node not in after_creation(replace(result, attempts=(*rows, later)))


def test_a_long_warning_is_wrapped_in_the_picture() -> None:
    dot = render(result_of(sample("libraries/async_threaded")), "dot").decode()
    heading = dot[dot.index("label=<"):dot.index("</table>>")]
    # the heading's lines of text: cut at each <br> and cell, markup taken out
    lines = [re.sub(r"<[^>]*>", "", part)
             for part in re.split(r'<br align="left"/>|</td>', heading)]
    note = [line for line in lines if "ray-project/ray#31879" in line
            or "ThreadedWorker 6 calls" in line or "Ray records a call" in line]
    assert len(note) == 3  # wrapped in three lines
    assert max(len(line) for line in lines) <= 120
