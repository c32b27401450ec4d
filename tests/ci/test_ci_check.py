"""`flowinsight check`: exit codes, one line per broken rule, JUnit that a JUnit parser reads,
and the performance rules on hand-made documents."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from ci_support import HOSTILE_ACTOR, perf_document, without_perf_fields, write_json
from conftest import cli, sample

SAGE = str(sample("sage_pipeline"))
LOSSY = str(sample("sage_pipeline_lossy"))


def _fail_lines(out: bytes) -> list[str]:
    return [line for line in out.decode().splitlines() if line.startswith("FAIL ")]


def _cases(path: Path) -> dict[str, str | None]:
    """Each test case of a JUnit file: its name and its failure message (None: passed)."""
    suites = list(JUnitXml.fromfile(str(path)))
    assert [s.name for s in suites] == ["flowinsight.check"]
    out: dict[str, str | None] = {}
    for case in suites[0]:
        failures = [r for r in case.result if isinstance(r, Failure)]
        out[case.name] = failures[0].message if failures else None
        assert case.classname == "flowinsight.check"
    return out


def test_rules_file_one_holds_one_breaks(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('require_edges = ["main -> RayTask \'source\'.put_packet"]\n'
                     'forbid_edges = ["RayTask \'map_1\'.* -> RayTask \'sink\'.*"]\n')
    junit = tmp_path / "check.xml"
    proc = cli("check", SAGE, "--rules", str(rules), "--junit", str(junit))
    assert proc.returncode == 1, proc.stderr
    assert _fail_lines(proc.stdout) == [
        "FAIL forbid-edge RayTask 'map_1'.* -> RayTask 'sink'.*: 1 forbidden edge(s): "
        "RayTask 'map_1'.put_packet -> RayTask 'sink'.put_packet (40 calls)"]
    assert proc.stdout.decode().splitlines()[-1] == "flowinsight check: 1 of 2 rule(s) broken"
    cases = _cases(junit)
    assert cases == {
        "require-edge main -> RayTask 'source'.put_packet": None,
        "forbid-edge RayTask 'map_1'.* -> RayTask 'sink'.*":
            "1 forbidden edge(s): RayTask 'map_1'.put_packet -> RayTask 'sink'.put_packet "
            "(40 calls)",
    }
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert (suite.tests, suite.failures, suite.errors) == (2, 1, 0)


def test_all_rules_hold_is_exit_0(tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    proc = cli("check", SAGE, "--require-edge", "main->RayTask 'source'.put_packet",
               "--require-edge", "*.put_packet -> RayTask 'sink'.put_packet",
               "--forbid-edge", "RayTask 'sink'.* -> *", "--max-failures", "0",
               "--min-coverage", "0.95", "--junit", str(junit))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _fail_lines(proc.stdout) == []
    assert proc.stdout.decode().splitlines()[-1] == "flowinsight check: all 5 rule(s) hold"
    assert set(_cases(junit).values()) == {None}


def test_a_session_holds_against_its_own_baseline_and_a_lossy_run_does_not(tmp_path: Path) -> None:
    baseline = tmp_path / "main.json"
    assert cli("export", SAGE, "-o", str(baseline)).returncode == 0
    proc = cli("check", SAGE, "--baseline", str(baseline), "--calls-tolerance", "10")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = cli("check", LOSSY, "--baseline", str(baseline), "--calls-tolerance", "10", "-q")
    assert proc.returncode == 1
    (line,) = _fail_lines(proc.stdout)
    assert line.startswith("FAIL baseline: calls within ±10%: 4 call edge(s) changed: ")
    assert "RayTask 'map_1'.put_packet -> RayTask 'sink'.put_packet 40 -> 0 (-100.0%)" in line
    assert "RayTask 'source'.put_packet -> RayTask 'map_0'.put_packet 40 -> 2 (-95.0%)" in line
    # the structure of the lossy run is a subset: nothing new
    assert "no new" not in proc.stdout.decode()


def test_new_nodes_and_edges_against_a_baseline(tmp_path: Path) -> None:
    baseline = write_json(tmp_path / "base.json", perf_document())
    current = write_json(tmp_path / "cur.json", perf_document(extra_edge=True))
    proc = cli("check", str(current), "--baseline", str(baseline))
    assert proc.returncode == 1
    assert _fail_lines(proc.stdout) == [
        f"FAIL baseline: no new edges: 1 edge(s) not in {baseline}: main -> mod.leaf (3 calls)"]
    assert cli("check", str(current), "--baseline", str(baseline),
               "--allow-new-edges").returncode == 0


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--max-p95", "Worker*.work=50", None),
    ("--max-p95", "Worker*.work=30",
     "FAIL max-p95 Worker*.work=30ms: Worker 'w1'.work p95 40 ms > 30 ms"),
    ("--max-p95", "nothing*=30", "FAIL max-p95 nothing*=30ms: no node matches 'nothing*'"),
    ("--max-p95", "main=30", "FAIL max-p95 main=30ms: 1 node(s) match but none has execution times"),
    ("--max-failures", "1", "FAIL max-failures 1: 2 failures > 1 (TASK_EXECUTION_EXCEPTION 2)"),
    ("--max-failures", "2", None),
    ("--min-coverage", "0.95", "FAIL min-coverage 0.95: coverage 0.900 < 0.950 (incomplete capture)"),
    ("--min-coverage", "0.9", None),
])
def test_performance_rules_on_a_document(tmp_path: Path, option: str, value: str,
                                         expected: str | None) -> None:
    doc = write_json(tmp_path / "run.json", perf_document(failures=2, coverage=0.9))
    proc = cli("check", str(doc), option, value)
    assert proc.returncode == (0 if expected is None else 1), proc.stdout + proc.stderr
    assert _fail_lines(proc.stdout) == ([] if expected is None else [expected])


def test_tolerances_against_a_hand_made_baseline(tmp_path: Path) -> None:
    base = write_json(tmp_path / "base.json", perf_document(p95_work=40.0, per_s=100.0))
    slower = write_json(tmp_path / "slower.json",
                        perf_document(p95_work=60.0, per_s=80.0, bytes_per_s=1.05e6))
    proc = cli("check", str(slower), "--baseline", str(base), "--p95-tolerance", "25",
               "--throughput-tolerance", "10", "--calls-tolerance", "0")
    assert proc.returncode == 1
    assert _fail_lines(proc.stdout) == [
        "FAIL baseline: p95 within ±25%: 1 of 3 changed: Worker 'w1'.work 40 -> 60 ms p95 (+50.0%)",
        "FAIL baseline: throughput within ±10%: 2 of 3 changed: "
        "Worker 'w1'.work -> mod.leaf 100 -> 80 calls/s (-20.0%); "
        "main -> Worker 'w1'.work 100 -> 80 calls/s (-20.0%)",
    ]
    proc = cli("check", str(slower), "--baseline", str(base), "--p95-tolerance", "60",
               "--throughput-tolerance", "25")
    assert proc.returncode == 0, proc.stdout


def test_missing_performance_fields_are_broken_rules_not_crashes(tmp_path: Path) -> None:
    old = write_json(tmp_path / "old.json", without_perf_fields(perf_document()))
    new = write_json(tmp_path / "new.json", perf_document())
    junit = tmp_path / "check.xml"
    proc = cli("check", str(old), "--max-failures", "0", "--min-coverage", "0.5",
               "--max-p95", "*=10", "--baseline", str(new), "--p95-tolerance", "10",
               "--throughput-tolerance", "10", "--junit", str(junit))
    assert proc.returncode == 1, proc.stderr
    lines = _fail_lines(proc.stdout)
    assert len(lines) == 5
    assert all("cannot be evaluated" in line for line in lines), lines
    assert lines[0].startswith("FAIL max-failures 0: cannot be evaluated: no failure counts")
    failed = [m for m in _cases(junit).values() if m is not None]
    assert len(failed) == 5


def test_a_lossy_capture_fails_min_coverage_with_the_numbers() -> None:
    proc = cli("check", LOSSY, "--min-coverage", "0.99")
    assert proc.returncode == 1
    (line,) = _fail_lines(proc.stdout)
    assert line.startswith("FAIL min-coverage 0.99: coverage 0.")
    assert line.endswith("< 0.990 (incomplete capture)")


def test_junit_is_well_formed_with_hostile_patterns(tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    pattern = f"{HOSTILE_ACTOR}]]><x>&"
    proc = cli("check", SAGE, "--require-edge", f"main -> {pattern}", "--junit", str(junit))
    assert proc.returncode == 1
    (line,) = _fail_lines(proc.stdout)
    assert "\x1b" not in line and "\x07" not in line
    cases = _cases(junit)
    (name,) = cases
    assert name.startswith("require-edge main -> a %%{init") and name.endswith("]]><x>&")
    assert "\x1b" not in name


@pytest.mark.skipif(importlib.util.find_spec("yaml") is None, reason="PyYAML is not installed")
def test_yaml_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("require_edges:\n  - \"main -> RayTask 'source'.put_packet\"\n"
                     "max_p95:\n  'RayTask*.put_packet': 100000\n")
    proc = cli("check", SAGE, "--rules", str(rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rules_file_baseline_is_relative_to_the_file(tmp_path: Path) -> None:
    write_json(tmp_path / "base.json", perf_document())
    rules = tmp_path / "rules.toml"
    rules.write_text('[baseline]\nfile = "base.json"\ncalls_tolerance = 5\n')
    current = write_json(tmp_path / "cur.json", perf_document())
    proc = cli("check", str(current), "--rules", str(rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   baseline: calls within ±5%: 3 call edges within tolerance" in proc.stdout.decode()


@pytest.mark.parametrize(("args", "message"), [
    ((), "no rules: give --rules FILE or rule options"),
    (("--max-p95", "abc"), "--max-p95: 'abc' is not 'PATTERN=MS'"),
    (("--max-p95", "x=fast"), "--max-p95: 'fast' in 'x=fast' is not a number of milliseconds"),
    (("--require-edge", "main"), "--require-edge: 'main' is not 'SOURCE->TARGET'"),
    (("--min-coverage", "95"), "--min-coverage: 95.0 is not a ratio between 0 and 1"),
    (("--calls-tolerance", "5"), "baseline rules need a baseline"),
])
def test_usage_errors_are_exit_2(args: tuple[str, ...], message: str) -> None:
    proc = cli("check", SAGE, *args)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr.decode()
    assert len(proc.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(("text", "message"), [
    ("max_failure = 0\n", "unknown rule 'max_failure'"),
    ("max_failures = -1\n", "max_failures must be an integer >= 0"),
    ("max_p95 = 5\n", "max_p95 must be a table"),
    ('require_edges = "a->b"\n', "require_edges must be a list"),
    ("[baseline]\ntolerance = 5\n", "unknown baseline setting 'tolerance'"),
    ("not toml = = =\n", "not a TOML rules file"),
])
def test_bad_rules_files_are_exit_2(tmp_path: Path, text: str, message: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    proc = cli("check", SAGE, "--rules", str(rules))
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr.decode()


def test_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "base.json"
    bad.write_text('{"schema_version": "1.0", "callFlows": [{"source": 1}]}')
    proc = cli("check", SAGE, "--baseline", str(bad))
    assert proc.returncode == 2
    assert b"actors is missing" in proc.stderr


def test_rules_files_that_check_nothing_say_why(tmp_path: Path) -> None:
    """An empty rules file was told to "give --rules FILE", which it had; a tolerance put at
    the top was an unknown rule; a file of [baseline] tolerances alone, on the first run (no
    baseline yet, which docs/ci.md says is noted), was exit 2 "no rules"."""
    empty, top, first = tmp_path / "empty.toml", tmp_path / "top.toml", tmp_path / "first.toml"
    empty.write_text("# rules to come\n")
    top.write_text("calls_tolerance = 10\n")
    first.write_text("[baseline]\ncalls_tolerance = 10\n")
    for rules, message in (
            (empty, f"no rules: {empty} holds none, and no rule option was given"),
            (top, f"{top}: 'calls_tolerance' is a setting of [baseline]: put it under "
                  "[baseline]")):
        proc = cli("check", SAGE, "--rules", str(rules))
        assert (proc.returncode, proc.stdout) == (2, b"")
        assert proc.stderr.decode() == f"flowinsight: error: {message}\n"
    proc = cli("check", SAGE, "--rules", str(first))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.decode().splitlines() == [
        "note: the rules file's [baseline] rules were not checked: no --baseline given",
        "flowinsight check: no rule checked"]


def test_help_has_examples() -> None:
    text = cli("check", "--help").stdout.decode()
    assert "Examples:" in text and "flowinsight check /tmp/ray/session_latest --rules" in text


def test_the_example_rules_file_holds_for_its_run_and_not_for_a_lossy_one(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rules.toml"
    rules = tmp_path / "rules.toml"
    rules.write_text(example.read_text())
    baseline = tmp_path / "flowinsight.json"
    assert cli("export", SAGE, "-o", str(baseline)).returncode == 0
    proc = cli("check", SAGE, "--rules", str(rules))  # the first run: no baseline yet
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.decode().splitlines()[-2:] == [
        "note: the rules file's [baseline] rules were not checked: no --baseline given",
        "flowinsight check: all 8 rule(s) hold"]
    proc = cli("check", SAGE, "--rules", str(rules), "--baseline", str(baseline))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.decode().splitlines()[-1] == "flowinsight check: all 13 rule(s) hold"
    proc = cli("check", LOSSY, "--rules", str(rules), "-q", "--baseline", str(baseline))
    assert proc.returncode == 1
    lines = _fail_lines(proc.stdout)
    # (its coverage, 0.970, holds: what the actors' ray.kill lost is no gap of the capture)
    expected = ["FAIL max-p95 RayTask*.stats=100ms: 4 node(s) match but none has execution times",
                "FAIL baseline: calls within ±10%: 4 call edge(s) changed",
                "FAIL baseline: p95 within ±50%: 2 of 2 changed"]
    assert len(lines) == len(expected) and all(
        line.startswith(prefix) for line, prefix in zip(lines, expected)), lines


def test_baseline_tolerances_without_a_file_apply_when_a_baseline_is_given(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('require_edges = ["main -> *"]\n[baseline]\ncalls_tolerance = 10\n')
    proc = cli("check", LOSSY, "--rules", str(rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("note: the rules file's [baseline] rules were not checked: no --baseline given"
            in proc.stdout.decode())
    baseline = tmp_path / "main.json"
    assert cli("export", SAGE, "-o", str(baseline)).returncode == 0
    proc = cli("check", LOSSY, "--rules", str(rules), "--baseline", str(baseline))
    assert proc.returncode == 1
    assert [line[:38] for line in _fail_lines(proc.stdout)] == [
        "FAIL baseline: calls within ±10%: 4 ca"]
