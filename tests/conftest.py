"""Shared test helpers: the samples, loading through the real readers and pipeline, and the
JSON Schema that every JSON output is validated against."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.render import RenderOptions, renderers
from flowinsight.result import Result
from flowinsight.schema import load_schema
from flowinsight.switch import NATIVE_ENV

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden"
CAPTURES = ("nested_tasks", "sage_pipeline", "sage_pipeline_lossy", "lattice_workflow")
_VALIDATOR = jsonschema.Draft202012Validator(load_schema())


def with_native(on: bool, code: str, stdin: bytes = b"") -> bytes:
    """Run `code` in a fresh Python with the C extensions on or off (FLOWINSIGHT_NATIVE): its
    standard output (a failure raises, with its stderr)."""
    env = {**os.environ, NATIVE_ENV: "1" if on else "0"}
    return subprocess.run([sys.executable, "-c", code], input=stdin, env=env, cwd=ROOT,
                          capture_output=True, check=True).stdout


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first (in their order), the others after in theirs: xdist
    hands tests out in order, and a long one handed out last keeps one core busy alone."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden from the current output (review the diff!)")


@pytest.fixture(scope="session")
def scale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real scale_15k capture (samples/scale_15k.tar.gz) unpacked once per run; read only."""
    root = tmp_path_factory.mktemp("scale_15k")
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        tar.extractall(root, filter="data")
    return root


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def result_of(*paths: Path | str, job: str = "") -> Result:
    return analyze(read_capture(discover([str(p) for p in paths])), Options(job=job))


def render(result: Result, fmt: str) -> bytes:
    return renderers()[fmt].render(result, RenderOptions())


def validated(doc_bytes: bytes) -> dict[str, Any]:
    """Parse a JSON output and check it against the published schema."""
    doc: dict[str, Any] = orjson.loads(doc_bytes)
    _VALIDATOR.validate(doc)
    return doc


def json_of(*paths: Path | str, job: str = "") -> dict[str, Any]:
    return validated(render(result_of(*paths, job=job), "json"))


def label_map(doc: dict[str, Any]) -> dict[str, str]:
    """Readable names for node ids, to state expectations as the captures' README does:
    an actor is its user-given name (or class), a method `<actor>.<method>`."""
    names = {a["id"]: a["actor_name"] or a["name"] for a in doc["actors"]}
    out = dict(names)
    out.update({m["id"]: f"{names.get(m['actorId'], '?')}.{m['name']}" for m in doc["methods"]})
    out.update({f["id"]: f["id"] for f in doc["functions"]})
    return out


def calls_by_label(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    names = label_map(doc)
    out: dict[tuple[str, str], int] = {}
    for c in doc["callFlows"]:
        key = (names[c["source"]], names[c["target"]])
        out[key] = out.get(key, 0) + c["count"]
    return out


def cli(*args: str, entry: str = "module", input_bytes: bytes | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the real command line, as `python -m flowinsight` or the `flowinsight` script, in
    the repository (or `cwd`)."""
    if entry == "module":
        cmd = [sys.executable, "-m", "flowinsight", *args]
    else:
        cmd = [str(Path(sys.executable).parent / "flowinsight"), *args]
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    return subprocess.run(cmd, capture_output=True, input=input_bytes, env=full_env,
                          cwd=cwd or ROOT, check=False)


# folders that hold captures, each a capture of its own (truth/: Ray's State API dumps)
CAPTURE_GROUPS = ("recorded", "libraries", "call_sites")


def capture_dirs() -> list[Path]:
    """Every capture under samples/: the folders at the top, and those in each group."""
    top = [p for p in sorted(SAMPLES.iterdir()) if p.is_dir() and p.name not in CAPTURE_GROUPS]
    return top + [p for group in CAPTURE_GROUPS if (SAMPLES / group).is_dir()
                  for p in sorted((SAMPLES / group).iterdir())
                  if p.is_dir() and p.name != "truth"]


def sample(name: str) -> Path:
    return SAMPLES / name
