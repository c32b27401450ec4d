"""The command line imports what the invoked command needs, and nothing is lost by it: --help
lists every command with its help text, --format offers every renderer (the registry's own),
and a command's module is imported when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from conftest import ROOT, cli, sample
from flowinsight.cli import COMMANDS
from flowinsight.cli import cli as group
from flowinsight.cli.export import export
from flowinsight.render import FORMATS, renderer, renderers


def test_help_lists_every_command() -> None:
    out = cli("--help")
    assert out.returncode == 0
    text = out.stdout.decode()
    ctx = click.Context(group)
    assert group.list_commands(ctx) == sorted(COMMANDS) == ["analyze", "check", "diff", "export"]
    commands = text.split("Commands:", 1)[1]
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        assert command is not None
        line = next(line for line in commands.splitlines() if line.split()[:1] == [name])
        shown = " ".join(line.split()[1:]).removesuffix("...")
        assert len(shown) > 10 and command.get_short_help_str(limit=300).startswith(shown)
        assert cli(name, "--help").returncode == 0


def test_formats_are_the_registry() -> None:
    registry = renderers()
    assert sorted(registry) == sorted(FORMATS) and len(FORMATS) == 9
    for name, found in registry.items():
        assert found.name == name and renderer(name) is found
    option = next(p for p in export.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == sorted(FORMATS)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "; print(' '.join(sys.modules))"],
                         capture_output=True, cwd=ROOT, check=True)
    return set(out.stdout.decode().split())


def test_export_json_imports_only_what_it_needs() -> None:
    modules = _modules_after(
        "import sys; from flowinsight.cli import main; "
        f"code = main(['export', {str(sample('sage_pipeline'))!r}, '--format', 'json', "
        "'-o', '/dev/null', '-j', '1']); assert code == 0")
    assert "flowinsight.render.json_out" in modules
    for unwanted in ("rich", "flowinsight.ci.rules", "flowinsight.ci.document", "tomllib",
                     "flowinsight.cli.check", "flowinsight.cli.diff", "flowinsight.render.table",
                     "flowinsight.render.svg"):
        assert unwanted not in modules, unwanted


def test_export_to_a_file_name_imports_only_the_renderer_it_names(tmp_path: Path) -> None:
    out = tmp_path / "graph.mmd"
    modules = _modules_after(
        "import sys; from flowinsight.cli import main; "
        f"code = main(['export', {str(sample('sage_pipeline'))!r}, '-o', {str(out)!r}, "
        "'-j', '1']); assert code == 0")
    assert out.read_text().splitlines()[1] == "flowchart LR"
    renderer_modules = {f"flowinsight.render.{f.module}" for f in FORMATS.values()}
    assert renderer_modules & modules == {"flowinsight.render.mermaid"}


def test_group_alone_imports_no_command() -> None:
    modules = _modules_after("import sys; import flowinsight.cli")
    assert not {f"flowinsight.cli.{name}" for name in COMMANDS} & modules
    assert "flowinsight.pipeline" not in modules
