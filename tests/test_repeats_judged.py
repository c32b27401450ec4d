"""Events repeated across files where the digests cannot tell on their own, answered by the
parallel read itself (never the exact one-process read), byte for byte as the exact read:

- an id whose lines differ: the same event written otherwise (a duplicate), another event
  under the same id (kept), that other event read twice (kept: only what equals the id's FIRST
  event is a duplicate), a task event under an actor event's id (kept);
- a repeated task event whose function ref has no name (tasks._add_function replaces such a
  ref by the next one: merged again, it would come back), with a named ref after it and
  another nameless one, also repeated written otherwise.

With and without the C extensions (FLOWINSIGHT_NATIVE=0), in one group and in several.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import ROOT, cli, render
from flowinsight.pipeline import Options, Reducer, analyze, analyze_partial
from flowinsight.read import discover, read_capture
from flowinsight.read.parallel import ReadStats, read_reduced
from robustness.robust_support import (
    actor_id,
    export_actor,
    export_dir,
    export_task,
    new_session,
    normal_task,
    write_lines,
)

ACTOR = actor_id(7)


def otherwise(line: bytes) -> bytes:
    """The same event, written with other separators: another line, an equal event."""
    return json.dumps(orjson.loads(line)).encode()


def capture(tmp_path: Path) -> Path:
    new_session(tmp_path)
    export = export_dir(tmp_path)
    task_a = export_task(normal_task(1), "NORMAL_TASK", "app.work", event_id="e-task")
    other_a = export_task(normal_task(1), "NORMAL_TASK", "app.work", event_id="e-task")
    other_a = other_a.replace(b'"attempt_number":0', b'"attempt_number":1')
    actor = export_actor(ACTOR, "Counter", event_id="e-actor")
    renamed = export_actor(ACTOR, "Renamed", event_id="e-actor")
    under_task_id = export_actor(actor_id(8), "Other", event_id="e-shared")
    task_shared = export_task(normal_task(2), "NORMAL_TASK", "app.more", event_id="e-shared")
    # task 3: nameless refs (module only), then a named one without a module
    first = export_task(normal_task(3), "NORMAL_TASK", "first.", event_id="n-first")
    later = export_task(normal_task(3), "NORMAL_TASK", "later.", event_id="n-later")
    named = export_task(normal_task(3), "NORMAL_TASK", "go", event_id="n-named")
    # task 4: a nameless ref, another one, each read again (one written otherwise)
    one = export_task(normal_task(4), "NORMAL_TASK", "one.", event_id="m-one")
    two = export_task(normal_task(4), "NORMAL_TASK", "two.", event_id="m-two")
    plain = [export_task(normal_task(10 + n), "NORMAL_TASK", "app.plain", event_id=f"p{n}")
             for n in range(40)]
    write_lines(export / "event_EXPORT_TASK_100.log",
                [task_a, *plain[:20], task_shared, first, later, named, one, two])
    write_lines(export / "event_EXPORT_TASK_100.log.1",
                [*plain[10:30], otherwise(task_a), other_a, first, one, otherwise(two)])
    write_lines(export / "event_EXPORT_TASK_200.log", [other_a, *plain[30:], otherwise(first)])
    write_lines(export / "event_EXPORT_ACTOR_100.log", [actor, renamed, under_task_id])
    write_lines(export / "event_EXPORT_ACTOR_100.log.1",
                [otherwise(actor), renamed, actor, under_task_id])
    return tmp_path


CHECK = """
import json, sys
from flowinsight.pipeline import Options, Reducer, analyze, analyze_partial
from flowinsight.read import discover, read_capture
from flowinsight.read.parallel import ReadStats, read_reduced
from flowinsight.render import RenderOptions, renderers
from flowinsight.switch import native_on

def render(result):
    return renderers()["json"].render(result, RenderOptions())

sources = discover([sys.argv[1]])
exact = read_capture(sources)
want = (exact.account, render(analyze(exact, Options())))
out = {"native": native_on()}
for jobs in (1, 2):
    stats = ReadStats()
    account, piece = read_reduced(sources, Reducer(), jobs, min_bytes_per_job=0, stats=stats)
    got = (account, render(analyze_partial(piece, account, Options())))
    out[jobs] = {"same": got == want, "fallback": stats.exact_fallback,
                 "workers": stats.workers, "duplicates": stats.duplicates,
                 "judged_files": stats.judged_files}
out["exact_duplicates"] = exact.account.duplicates
print(json.dumps(out))
"""


@pytest.mark.parametrize("native", ["1", "0"])
def test_repeats_the_digests_cannot_tell_are_judged_without_the_exact_read(
        tmp_path: Path, native: str) -> None:
    root = capture(tmp_path)
    done = subprocess.run([sys.executable, "-c", CHECK, str(root)], capture_output=True,
                          cwd=ROOT, env={**os.environ, "FLOWINSIGHT_NATIVE": native},
                          check=True)
    out = json.loads(done.stdout)
    # the exact read's duplicates (actor files first, in file order): the actor twice (once
    # written otherwise; the renamed one under its id is kept, twice), the actor event under
    # a task's id once (the task event under it is kept), the plain repeats, the task written
    # otherwise (its other attempt under the same id is kept, twice), task 3's first nameless
    # ref twice (once written otherwise), task 4's both nameless refs
    assert out["exact_duplicates"] == 2 + 1 + 10 + 1 + 2 + 2
    for jobs in ("1", "2"):
        assert out[jobs]["same"], out
        assert not out[jobs]["fallback"]
        assert out[jobs]["duplicates"] == out["exact_duplicates"]
        assert out[jobs]["judged_files"] == 5  # every file holds an id whose lines differ
    assert out["2"]["workers"] == 2


def test_the_command_line_gives_the_exact_bytes_with_and_without_c(tmp_path: Path) -> None:
    root = capture(tmp_path)
    want = subprocess.run([sys.executable, "-c", """
import sys
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.render import RenderOptions, renderers
result = analyze(read_capture(discover([sys.argv[1]])), Options())
sys.stdout.buffer.write(renderers()["json"].render(result, RenderOptions()))
""", str(root)], capture_output=True, cwd=ROOT, check=True).stdout
    outputs = set()
    for native in ("1", "0"):
        for jobs in ("1", "2"):
            done = cli("export", str(root), "--format", "json", "--jobs", jobs,
                       env={"FLOWINSIGHT_NATIVE": native})
            assert done.returncode == 0, done.stderr
            outputs.add((done.stdout, done.stderr))
    assert len(outputs) == 1
    stdout, stderr = outputs.pop()
    assert stdout.rstrip(b"\n") == want.rstrip(b"\n")
    assert b"appeared more than once" in stderr


def random_capture(root: Path, seed: int) -> Path:
    """A few files of lines drawn from a small pool: ids shared by several events (task
    events of a few tasks, actor events), nameless refs among named ones, some lines written
    otherwise."""
    rnd = random.Random(seed)
    pool = []
    for _ in range(12):
        name = rnd.choice(["a.", "b.", "", "m.f", "g", "c.", "x.y.z"])
        line = export_task(normal_task(rnd.randrange(4)), "NORMAL_TASK", name,
                           event_id=f"e{rnd.randrange(8)}")
        if rnd.random() < 0.3:
            line = line.replace(b'"attempt_number":0', b'"attempt_number":1')
        pool.append(line)
    pool += [export_actor(actor_id(rnd.randrange(2)), rnd.choice(["A", "B"]),
                          event_id=f"e{rnd.randrange(8)}") for _ in range(3)]
    new_session(root)
    export = export_dir(root)
    for n in range(rnd.randrange(2, 7)):
        lines = [rnd.choice(pool) for _ in range(rnd.randrange(1, 8))]
        lines = [otherwise(line) if rnd.random() < 0.2 else line for line in lines]
        kind = "ACTOR" if rnd.random() < 0.2 else "TASK"
        write_lines(export / f"event_EXPORT_{kind}_{n}.log", lines)
    return root


@pytest.mark.parametrize("first", range(0, 40, 10))  # 40 seeds in 4 tests: run in parallel
def test_any_mix_of_repeats_reads_as_the_exact_read(tmp_path: Path, first: int) -> None:
    """Seeded mixes of the cases above, read in one group and in several (every file its own
    piece: the kept-aside refs merge across pieces)."""
    judged = 0
    for seed in range(first, first + 10):
        root = random_capture(tmp_path / str(seed), seed)
        sources = discover([str(root)])
        exact = read_capture(sources)
        want = (exact.account, render(analyze(exact, Options()), "json"))
        for jobs in (1, 3):
            stats = ReadStats()
            account, piece = read_reduced(sources, Reducer(), jobs, min_bytes_per_job=0,
                                          stats=stats)
            assert (account, render(analyze_partial(piece, account, Options()), "json")) \
                == want, (seed, jobs)
            assert not stats.exact_fallback
            judged += stats.judged_files
    assert judged > 10  # most mixes hold ids whose lines differ


class _FakeTask:
    """ray.remote(...)(fn), run here at once; remembers the node it was pinned to."""

    def __init__(self, fn: Any, ran: list[str]) -> None:
        self.fn, self.ran, self.node = fn, ran, ""

    def options(self, scheduling_strategy: Any) -> _FakeTask:
        self.node = scheduling_strategy.node_id
        return self

    def remote(self, *args: Any) -> Any:
        self.ran.append(self.node)
        return self.fn(*args)


def test_the_ray_engine_picks_the_lines_on_the_files_nodes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RayRunner.pick_lines: one task per node, pinned to it, each file's lines as
    repeat_lines.pick_here gives them (a stand-in for Ray runs the tasks here)."""
    from flowinsight.engines.node_files import Located
    from flowinsight.engines.ray_engine import NodeDirs, RayRunner
    from flowinsight.read.digests import line_digest
    from flowinsight.read.repeat_lines import pick_here

    root = capture(tmp_path)
    paths = sorted(root.rglob("event_*"))
    requests = []
    for n, path in enumerate(paths):
        lines = path.read_bytes().splitlines()
        source = Located(path, path.name, node="ab"[n % 2], host="h" + "ab"[n % 2],
                         real=str(path), bytes=path.stat().st_size)
        requests.append((source, frozenset(line_digest(x) for x in lines[::2])))
    ran: list[str] = []
    strategies = types.ModuleType("ray.util.scheduling_strategies")
    strategies.NodeAffinitySchedulingStrategy = (  # type: ignore[attr-defined]
        lambda node, soft: types.SimpleNamespace(node_id=node, soft=soft))
    monkeypatch.setitem(sys.modules, "ray.util.scheduling_strategies", strategies)
    runner = RayRunner()
    runner._nodes = NodeDirs("a", (), 2)
    runner._ray = types.SimpleNamespace(remote=lambda **_: lambda fn: _FakeTask(fn, ran),
                                        get=lambda ref: ref)
    got = runner.pick_lines(requests)
    assert got == pick_here(requests) and sum(map(len, got)) > 10
    assert sorted(ran) == ["a", "b"]
