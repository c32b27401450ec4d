"""engines/node_files.py without Ray: what each node finds on its disk, and where each file is
read (tests/live/test_engine_ray_nodes.py runs the same on a real cluster)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowinsight.engines.node_files import Finding, absent, find_here, place, refuse_unfound
from flowinsight.errors import UsageError
from flowinsight.read.discover import Source

SESSION = "session_2026-12-06_16-32-06_461130_21522"


def node_disk(root: Path, files: dict[str, int]) -> Path:
    """A node's session directory with event files of the given sizes."""
    session = root / "ray" / SESSION
    for name, size in files.items():
        path = session / "logs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    return session


def test_a_node_finds_its_own_session_directory_and_notes_what_it_lacks(tmp_path: Path) -> None:
    session = node_disk(tmp_path, {"events/event_RAYLET.log": 5,
                                   "export_events/event_EXPORT_TASK_7.log": 9})
    own = find_here("n1", [], str(session))
    assert own.node == "n1" and own.session_dir == os.path.realpath(session)
    assert [(s.display, real, size) for s, real, size in own.found] == [
        (f"{SESSION}/logs/events/event_RAYLET.log",
         os.path.realpath(session / "logs/events/event_RAYLET.log"), 5),
        (f"{SESSION}/logs/export_events/event_EXPORT_TASK_7.log",
         os.path.realpath(session / "logs/export_events/event_EXPORT_TASK_7.log"), 9)]
    assert own.missing == ()
    given = find_here("n1", [str(tmp_path / "nowhere"), str(session)], str(session))
    assert [s.display for s, _, _ in given.found] == [s.display for s, _, _ in own.found]
    assert given.missing == ((str(tmp_path / "nowhere"),
                              f"{tmp_path / 'nowhere'}: no such file or directory"),)


def test_a_relative_path_is_found_from_the_node_and_kept_absolute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node_disk(tmp_path, {"events/event_GCS.log": 3})
    monkeypatch.chdir(tmp_path)
    found = find_here("n1", ["ray"], "")
    [(source, real, _)] = found.found
    assert source.path.is_absolute()
    assert source.display == f"ray/{SESSION}/logs/events/event_GCS.log"
    assert real == os.path.realpath(tmp_path / "ray" / SESSION / "logs/events/event_GCS.log")


def finding(node: str, host: str, session: str, files: dict[str, int],
            missing: tuple[tuple[str, str], ...] = ()) -> Finding:
    return Finding(node, host, session,
                   tuple((Source(Path(real), "s/" + Path(real).name), real, size)
                         for real, size in files.items()), missing)


def test_each_file_once_by_host_and_real_path_at_its_own_node_else_the_least_loaded() -> None:
    # two nodes on host A that see the same disk; node c alone on host B, with a file of the
    # same path as one of host A's (another machine: another file)
    a = finding("a", "A", "/ta/s", {"/ta/s/e1.log": 10, "/shared/e2.log": 4, "/shared/e3.log": 4})
    b = finding("b", "A", "/tb/s", {"/ta/s/e1.log": 10, "/shared/e2.log": 4, "/shared/e3.log": 4,
                                    "/tb/s/e4.log": 1})
    c = finding("c", "B", "/ta/s", {"/ta/s/e1.log": 7})
    placed = place([c, b, a])
    assert [(s.display, s.host, s.real, s.node, s.size()) for s in placed] == [
        ("s/e1.log", "A", "/ta/s/e1.log", "a", 10),  # in a's session directory
        ("s/e1.log", "B", "/ta/s/e1.log", "c", 7),  # the same path on another machine
        ("s/e2.log", "A", "/shared/e2.log", "b", 4),  # b had read less than a
        ("s/e3.log", "A", "/shared/e3.log", "b", 4),  # b still less (4 + 1 < 10)
        ("s/e4.log", "A", "/tb/s/e4.log", "b", 1)]


def test_nodes_that_lack_a_path_are_one_line_and_a_path_no_node_has_is_an_error() -> None:
    have = finding("aaaaaaaaaa", "A", "", {"/p/e.log": 1})
    lack = finding("bbbbbbbbbb", "B", "", {}, (("/p", "/p: no such file or directory"),))
    names = {"aaaaaaaaaa": "node aaaaaaaa (10.0.0.1)", "bbbbbbbbbb": "node bbbbbbbb (10.0.0.2)"}
    assert absent([have], names) == ""
    assert absent([have, lack], names) == (
        "--engine ray: a path was missing or held no event file on 1 of 2 node(s), 1 of which "
        "contributed nothing (node bbbbbbbb (10.0.0.2): /p: no such file or directory)")
    refuse_unfound([have, lack], ["/p"])
    with pytest.raises(UsageError, match=r"^/p: no such file or directory \(on every one of "
                                         r"the 1 node\(s\)\)$"):
        refuse_unfound([lack], ["/p"])
    with pytest.raises(UsageError, match="no node to look on"):
        refuse_unfound([], ["/p"])


def test_files_of_several_machines_are_not_read_at_once() -> None:
    """The exact one-process read (archives, repeated event ids) cannot gather files of two
    machines: one line, before anything is asked of Ray."""
    from flowinsight.engines.node_files import Located
    from flowinsight.engines.ray_engine import RayRunner
    from flowinsight.pipeline import Reducer

    files = [Located(Path("/s/e.log"), "s/e.log", node=node, host=host, real="/s/e.log")
             for node, host in (("a", "hostA"), ("b", "hostB"))]
    with pytest.raises(UsageError, match=r"^--engine ray: these files must be read together in "
                                         r"one process .* on 2 machines \(hostA, hostB; a disk "
                                         r"shared by several machines is seen once on each\)"):
        RayRunner().read_exact(files, Reducer())


class _FakeRay:
    """Just what RayRunner.discover asks of Ray: a task per node, and its answer (a Finding,
    or a Ray error for a node that stopped)."""

    def __init__(self, answers: dict[str, object]) -> None:
        import ray

        self.exceptions = ray.exceptions
        self.answers = answers

    def remote(self, **_: object) -> object:
        fake = self

        class Task:
            def options(self, scheduling_strategy: object, **__: object) -> Task:
                self.node = str(getattr(scheduling_strategy, "node_id"))
                return self

            def remote(self, *_: object) -> object:
                return fake.answers[self.node]

        return lambda function: Task()

    def get(self, ref: object) -> object:
        if isinstance(ref, Exception):
            raise ref
        return ref


def test_a_node_that_stops_before_listing_its_files_is_one_line() -> None:
    ray = pytest.importorskip("ray")
    from flowinsight.engines.ray_engine import NodeDirs, RayRunner

    up, down = "a" * 56, "b" * 56
    answers = {up: finding(up, "A", "", {"/p/e.log": 3}),
               down: ray.exceptions.WorkerCrashedError()}
    nodes = NodeDirs(up, (), 2, ((up, "node aaaaaaaa (10.0.0.1)"),
                                 (down, "node bbbbbbbb (10.0.0.2)")))
    runner = RayRunner(_ray=_FakeRay(answers), _nodes=nodes)
    lines: list[str] = []
    [source] = runner.discover([], lines.append)
    assert (source.display, source.node) == ("s/e.log", up)  # type: ignore[attr-defined]
    assert lines == ["--engine ray: 1 node(s) stopped before their files were listed, their "
                     "files are not read: node bbbbbbbb (10.0.0.2)"]
