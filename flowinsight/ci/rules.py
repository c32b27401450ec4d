"""The rules of `flowinsight check`, from a rules file (TOML; YAML when PyYAML is installed)
and from command-line options. Anything malformed is a UsageError that says where.

    max_failures = 0
    min_coverage = 0.95
    require_edges = ["main -> RayTask 'source'.put_packet"]
    forbid_edges = ["* -> legacy_*"]
    [max_p95]                      # node pattern = milliseconds
    "RayTask*.put_packet" = 50
    [baseline]
    file = "baseline.json"         # relative to the rules file
    calls_tolerance = 10           # percent; also p95_tolerance, throughput_tolerance
"""

from __future__ import annotations

import importlib
import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flowinsight.errors import UsageError

DEFAULT_MIN_MS = 1.0  # durations below this on both sides are noise, not a change


@dataclass(frozen=True, slots=True)
class EdgePattern:
    source: str  # glob over node names (label, key or id)
    target: str

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass(frozen=True, slots=True)
class P95Limit:
    pattern: str
    ms: float


@dataclass(frozen=True, slots=True)
class Baseline:
    path: str
    new_nodes: bool = False  # allow nodes the baseline does not have
    new_edges: bool = False
    calls_tolerance: float | None = None  # percent; None: not checked
    p95_tolerance: float | None = None
    throughput_tolerance: float | None = None
    min_ms: float | None = None  # None: DEFAULT_MIN_MS

    @property
    def floor_ms(self) -> float:
        return DEFAULT_MIN_MS if self.min_ms is None else self.min_ms


@dataclass(frozen=True, slots=True)
class Rules:
    max_failures: int | None = None
    min_coverage: float | None = None
    max_p95: tuple[P95Limit, ...] = ()
    require_edges: tuple[EdgePattern, ...] = ()
    forbid_edges: tuple[EdgePattern, ...] = ()
    baseline: Baseline | None = None

    @property
    def empty(self) -> bool:
        return self == Rules()

    def extended(self, other: Rules) -> Rules:
        """These rules with `other` (the command line) on top: its single values replace
        ours, its lists are added to ours."""
        baseline = self.baseline
        if other.baseline is not None:
            baseline = other.baseline if baseline is None else _merge_baseline(baseline,
                                                                               other.baseline)
        return Rules(
            max_failures=other.max_failures if other.max_failures is not None else self.max_failures,
            min_coverage=other.min_coverage if other.min_coverage is not None else self.min_coverage,
            max_p95=self.max_p95 + other.max_p95,
            require_edges=self.require_edges + other.require_edges,
            forbid_edges=self.forbid_edges + other.forbid_edges,
            baseline=baseline)


def _merge_baseline(base: Baseline, top: Baseline) -> Baseline:
    return replace(
        base,
        path=top.path or base.path,
        new_nodes=base.new_nodes or top.new_nodes,
        new_edges=base.new_edges or top.new_edges,
        calls_tolerance=_first(top.calls_tolerance, base.calls_tolerance),
        p95_tolerance=_first(top.p95_tolerance, base.p95_tolerance),
        throughput_tolerance=_first(top.throughput_tolerance, base.throughput_tolerance),
        min_ms=_first(top.min_ms, base.min_ms))


def _first(a: float | None, b: float | None) -> float | None:
    return a if a is not None else b


def parse_edge(text: str, where: str = "--require-edge/--forbid-edge") -> EdgePattern:
    source, arrow, target = text.partition("->")
    if not arrow or not source.strip() or not target.strip():
        raise UsageError(f"{where}: {text!r} is not 'SOURCE->TARGET' (e.g. 'main->run_*')")
    return EdgePattern(source.strip(), target.strip())


def parse_p95(text: str, where: str = "--max-p95") -> P95Limit:
    pattern, eq, ms = text.rpartition("=")
    if not eq or not pattern.strip():
        raise UsageError(f"{where}: {text!r} is not 'PATTERN=MS' (e.g. 'RayTask*.put_packet=50')")
    value = ms.strip().removesuffix("ms").strip()
    try:
        limit = float(value)
    except ValueError:
        raise UsageError(f"{where}: {ms.strip()!r} in {text!r} is not a number of milliseconds"
                         ) from None
    return P95Limit(pattern.strip(), _non_negative(limit, where))


def _non_negative(value: float, where: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{where}: {value} must be a finite number >= 0")
    return value


def check_ratio(value: float, where: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{where}: {value} is not a ratio between 0 and 1 (0.95 for 95%)")
    return value


def check_percent(value: float, where: str) -> float:
    return _non_negative(value, where)


# -- rules files ---------------------------------------------------------------------------

_TOP = {"max_failures", "min_coverage", "max_p95", "require_edges", "forbid_edges", "baseline"}
_BASELINE = {"file", "new_nodes", "new_edges", "calls_tolerance", "p95_tolerance",
             "throughput_tolerance", "min_ms"}


def read_rules(path: str) -> Rules:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the rules file: {exc.strerror or exc}") from exc
    if p.suffix.lower() in (".yaml", ".yml"):
        raw = _yaml(data, path)
    else:
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: not a TOML rules file: {exc}") from exc
    return rules_of(raw, path, p.parent)


def _yaml(data: bytes, path: str) -> object:
    # Optional: PyYAML is not a dependency; use it only when it happens to be installed.
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        raise UsageError(f"{path}: YAML rules need PyYAML, which is not installed: "
                         "write the rules as TOML (rules.toml)") from None
    try:
        return yaml.safe_load(data.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a YAML rules file: {exc}") from exc


def rules_of(raw: object, path: str, base_dir: Path) -> Rules:
    """Rules from a parsed rules file; relative baseline paths are relative to `base_dir`."""
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: the rules file must be a table of rules")
    unknown = sorted(set(map(str, raw)) - _TOP)
    if unknown and unknown[0] in _BASELINE:
        raise UsageError(f"{path}: {unknown[0]!r} is a setting of [baseline]: put it under "
                         "[baseline]")
    if unknown:
        raise UsageError(f"{path}: unknown rule {unknown[0]!r} (known: {', '.join(sorted(_TOP))})")
    max_failures = raw.get("max_failures")
    if max_failures is not None and (not isinstance(max_failures, int)
                                     or isinstance(max_failures, bool) or max_failures < 0):
        raise UsageError(f"{path}: max_failures must be an integer >= 0")
    min_coverage = raw.get("min_coverage")
    if min_coverage is not None:
        min_coverage = check_ratio(_number(min_coverage, f"{path}: min_coverage"),
                                   f"{path}: min_coverage")
    p95 = raw.get("max_p95", {})
    if not isinstance(p95, dict):
        raise UsageError(f"{path}: max_p95 must be a table of \"PATTERN\" = milliseconds")
    limits = tuple(P95Limit(str(k), _non_negative(_number(v, f"{path}: max_p95.{k}"),
                                                   f"{path}: max_p95.{k}"))
                   for k, v in p95.items())
    return Rules(max_failures=max_failures, min_coverage=min_coverage, max_p95=limits,
                 require_edges=_edges(raw, "require_edges", path),
                 forbid_edges=_edges(raw, "forbid_edges", path),
                 baseline=_baseline(raw.get("baseline"), path, base_dir))


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{where}: {value!r} is not a number")
    return float(value)


def _edges(raw: dict[str, Any], key: str, path: str) -> tuple[EdgePattern, ...]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise UsageError(f"{path}: {key} must be a list of \"SOURCE -> TARGET\" strings")
    return tuple(parse_edge(i, f"{path}: {key}") for i in items)


def _baseline(raw: object, path: str, base_dir: Path) -> Baseline | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: baseline must be a table with at least file = \"...\"")
    unknown = sorted(set(map(str, raw)) - _BASELINE)
    if unknown:
        raise UsageError(f"{path}: unknown baseline setting {unknown[0]!r} "
                         f"(known: {', '.join(sorted(_BASELINE))})")
    file = raw.get("file", "")
    if not isinstance(file, str):
        raise UsageError(f"{path}: baseline.file must be a path")
    flags = {}
    for flag in ("new_nodes", "new_edges"):
        value = raw.get(flag, False)
        if not isinstance(value, bool):
            raise UsageError(f"{path}: baseline.{flag} must be true or false")
        flags[flag] = value
    tolerances: dict[str, float | None] = {}
    for name in ("calls_tolerance", "p95_tolerance", "throughput_tolerance"):
        value = raw.get(name)
        tolerances[name] = None if value is None else check_percent(
            _number(value, f"{path}: baseline.{name}"), f"{path}: baseline.{name}")
    min_ms = raw.get("min_ms")
    return Baseline(
        path=str(base_dir / file) if file and not Path(file).is_absolute() else file,
        new_nodes=flags["new_nodes"], new_edges=flags["new_edges"],
        calls_tolerance=tolerances["calls_tolerance"],
        p95_tolerance=tolerances["p95_tolerance"],
        throughput_tolerance=tolerances["throughput_tolerance"],
        min_ms=None if min_ms is None else _non_negative(
            _number(min_ms, f"{path}: baseline.min_ms"), f"{path}: baseline.min_ms"))
