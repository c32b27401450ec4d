"""`export` writes a renderer's output piece by piece as it is made (Renderer.pieces,
cli/output.py), never the whole output at once: what it writes, to a file or to stdout, is
byte for byte what Renderer.render gives, for every format, and a file is still written whole
or not at all."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import CAPTURES, GOLDEN, result_of, sample
from flowinsight.cli import main
from flowinsight.cli.output import write_pieces
from flowinsight.errors import UsageError
from flowinsight.render import FORMATS, RenderOptions, Renderer, renderer
from flowinsight.render import trace

GOLDEN_OF = {"json": "json", "dot": "dot", "table": "txt"}


def comparable(fmt: str, data: bytes) -> bytes:
    """A PDF without its creation time (Graphviz's cairo writes the current second)."""
    return re.sub(rb"/CreationDate \(D:[^)]*\)", b"", data) if fmt == "pdf" else data


def refuse_render(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the command line may not take the whole output from render (it would hold
    it whole)."""
    def refused(self: Renderer, *args: Any) -> bytes:
        raise AssertionError(f"export called {self.name}'s render")

    monkeypatch.setattr(Renderer, "render", refused)


@pytest.mark.parametrize("name", CAPTURES)
def test_every_format_writes_what_render_gives(name: str, tmp_path: Path,
                                               capsysbinary: pytest.CaptureFixture[bytes],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(sample(name))
    result = result_of(path)
    expected = {fmt: renderer(fmt).render(result, RenderOptions()) for fmt in FORMATS}
    for fmt, data in expected.items():  # the golden files, unchanged
        if fmt in GOLDEN_OF:
            assert data == (GOLDEN / f"{name}.{GOLDEN_OF[fmt]}").read_bytes(), fmt
    refuse_render(monkeypatch)
    for fmt, data in expected.items():
        out = tmp_path / f"out.{fmt}"
        assert main(["export", path, "--format", fmt, "-o", str(out)]) == 0, fmt
        assert comparable(fmt, out.read_bytes()) == comparable(fmt, data), fmt
        capsysbinary.readouterr()
        assert main(["export", path, "--format", fmt]) == 0, fmt
        assert comparable(fmt, capsysbinary.readouterr().out) == comparable(fmt, data), fmt


def test_a_big_trace_is_written_in_pieces(tmp_path: Path, scale_dir: Path) -> None:
    """scale_15k's trace (15,000 runs and their calls) comes in several pieces, none of them
    more than a few runs' events, and the file holds them all, in order."""
    result = result_of(scale_dir)
    whole = trace.RENDERER.render(result, RenderOptions())
    made = list(trace.pieces(result, RenderOptions(), runs_per_piece=1000))
    runs = sum(1 for _ in re.finditer(rb'"ph":"X"', whole))
    assert runs > 10_000 and len(made) >= 2 * runs // 1000  # the runs', then the calls'
    assert b"".join(made) == whole
    assert max(map(len, made)) < len(whole) // 8
    written: list[int] = []

    def counted(result: Any, options: RenderOptions) -> Iterator[bytes]:
        for piece in trace.pieces(result, options, runs_per_piece=1000):
            written.append(len(piece))
            yield piece

    out = tmp_path / "scale.trace.json"
    write_pieces(str(out), "-o", counted(result, RenderOptions()))
    assert out.read_bytes() == whole and written == list(map(len, made))


def test_a_render_that_fails_midway_leaves_the_old_file(tmp_path: Path) -> None:
    """A file is written whole or not at all, also when its pieces stop coming."""
    target = tmp_path / "graph.trace.json"
    target.write_bytes(b"old")

    def failing() -> Iterator[bytes]:
        yield b"new" * 1000
        raise UsageError("the render failed")

    with pytest.raises(UsageError, match="the render failed"):
        write_pieces(str(target), "-o", failing())
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.trace.json"]
    write_pieces(str(target), "-o", iter([b"a", b"", b"bc"]))
    assert target.read_bytes() == b"abc"
    assert os.listdir(tmp_path) == ["graph.trace.json"]
