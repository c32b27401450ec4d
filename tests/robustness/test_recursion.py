"""Recursion and cycles in the call graph: a task calling its own function, an actor method
calling itself, two functions calling each other. They are self-edges and a cycle, and every
renderer draws them."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import orjson
import pytest

from flowinsight.render import RenderOptions, renderers
from flowinsight.result import Result
from robust_support import (
    actor_id,
    actor_task,
    analyzed,
    creation_task,
    new_session,
    normal_task,
    read,
    submitted,
    write_lines,
)

ACTOR = actor_id(9)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """main -> fact -> fact -> fact (recursion, 2 self-calls); main creates Walker and calls
    Walker.step, which calls itself 3 times; main -> ping -> pong -> ping (a cycle)."""
    root = new_session(tmp_path_factory.mktemp("recursion"))
    fact = [normal_task(i) for i in (1, 2, 3)]
    steps = [actor_task(i, ACTOR) for i in (11, 12, 13, 14)]
    ping1, pong, ping2 = normal_task(21), normal_task(22), normal_task(23)
    lines = [
        submitted(fact[0], "NORMAL_TASK", "m.fact"),
        submitted(fact[1], "NORMAL_TASK", "m.fact", parent=fact[0]),
        submitted(fact[2], "NORMAL_TASK", "m.fact", parent=fact[1]),
        submitted(creation_task(ACTOR), "ACTOR_CREATION_TASK", "m.Walker.__init__", actor=ACTOR),
        submitted(steps[0], "ACTOR_TASK", "m.Walker.step", actor=ACTOR),
        *[submitted(s, "ACTOR_TASK", "m.Walker.step", parent=p, actor=ACTOR, caller_actor=ACTOR)
          for p, s in zip(steps, steps[1:])],
        submitted(ping1, "NORMAL_TASK", "m.ping"),
        submitted(pong, "NORMAL_TASK", "m.pong", parent=ping1),
        submitted(ping2, "NORMAL_TASK", "m.ping", parent=pong),
    ]
    write_lines(root / "logs" / "events" / "event_CORE_WORKER_1.log", lines)
    capture = read(root)
    assert (len(capture.events), capture.skipped_total) == (11, 0)
    return analyzed(capture)


STEP = f"{ACTOR}.step"
EXPECTED = {("main", "fact"): 1, ("fact", "fact"): 2, ("main", ACTOR): 1,
            ("main", STEP): 1, (STEP, STEP): 3, ("main", "ping"): 1, ("ping", "pong"): 1,
            ("pong", "ping"): 1}


DRAWN = {"fact": "fact", STEP: "Walker.step", "ping": "ping", "pong": "pong"}


def render(result: Result, fmt: str) -> bytes:
    return renderers()[fmt].render(result, RenderOptions(width=200))


def test_self_edges_and_the_cycle_are_in_the_graph(result: Result) -> None:
    assert {(c.source, c.target): c.count for c in result.call_flows} == EXPECTED
    assert {n.id: n.calls for n in result.nodes} == {
        "main": 0, "fact": 3, ACTOR: 1, STEP: 4, "ping": 2, "pong": 1}


def test_json(result: Result) -> None:
    doc = orjson.loads(render(result, "json"))
    assert {(c["source"], c["target"]): c["count"] for c in doc["callFlows"]} == EXPECTED


def test_dot_draws_self_loops(result: Result) -> None:
    proc = subprocess.run(["dot", "-Tjson"], input=render(result, "dot"), capture_output=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    drawn = orjson.loads(proc.stdout)
    names = {o["_gvid"]: o["name"] for o in drawn["objects"] if "nodes" not in o}
    edges = {(names[e["tail"]], names[e["head"]]): e["label"] for e in drawn["edges"]}
    # drawn by their readable names; main's one call creating the Walker is folded into the
    # actor's box (a setup call), every other edge is drawn
    assert edges == {(DRAWN.get(a, a), DRAWN.get(b, b)): f"{n} call{'s' if n > 1 else ''}"
                     for (a, b), n in EXPECTED.items() if b != ACTOR}
    assert "setup of Walker" in names.values()


def test_svg(result: Result) -> None:
    root = ET.fromstring(render(result, "svg"))
    titles = {t.text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
              for t in g.iter(f"{SVG}title")}
    # (edges leave by the east side and enter by the west: `a:e->b:w`)
    titles = {t.replace(":e->", "->").removesuffix(":w") for t in titles}
    assert {"fact->fact", "Walker.step->Walker.step", "pong->ping", "ping->pong"} <= titles
    assert len(titles) == len(EXPECTED) - 1  # the setup call folded


def test_table(result: Result) -> None:
    rows = [line.split("│")[1:4] for line in render(result, "table").decode().splitlines()
            if line.startswith("│") and line.count("│") >= 4]
    cells = {(a.strip(), b.strip(), c.strip()) for a, b, c in rows}
    assert ("fact", "fact", "2") in cells
    assert ("Walker.step", "Walker.step", "3") in cells
    assert ("pong", "ping", "1") in cells and ("ping", "pong", "1") in cells


@pytest.mark.parametrize("fmt", sorted(set(renderers()) - {"json", "dot", "svg", "table"}))
def test_every_other_format_renders(result: Result, fmt: str) -> None:
    assert render(result, fmt)

