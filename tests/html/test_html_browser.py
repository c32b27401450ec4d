"""The HTML report in real headless Chromium: every sample's report (and the 15k-task capture's)
loads with no console error and no request but its own file; what the page shows (tables, graph
nodes and edges, folds, failures, jobs) is what the JSON says; clicking a node shows its
details, searching highlights it; hostile names stay text."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from browser import Browser, chromium
from conftest import DATA, ROOT, SAMPLES, render, result_of, sample
from flowinsight.render.text import strip_control
from flowinsight.result import Result

pytestmark = pytest.mark.skipif(chromium() is None, reason="needs chromium (make node-deps)")

# every capture under samples/: a folder holding a session (or a session's logs/) itself
REPORTS = sorted(str(p.relative_to(SAMPLES)) for p in [*SAMPLES.glob("*"), *SAMPLES.glob("*/*")]
                 if p.is_dir() and not p.name.startswith("session_")
                 and (any(p.glob("session_*")) or (p / "logs").is_dir()))
LOAD_S = 10.0  # generous on a shared 2-core machine; about 1 s for the 15k capture here

# What the page shows, read back from its DOM (never from its data).
SUMMARY_JS = """(() => {
  const all = (s) => [...document.querySelectorAll(s)];
  const node = (td) => { const e = td.querySelector('[data-node]'); return e ? e.dataset.node : null; };
  const rows = (id) => all('#' + id + ' tbody tr');
  const view = (name) => ({
    nodes: all('#' + name + ' g.node[data-id]').map((g) => g.dataset.id),
    edges: all('#' + name + ' g.edge:not(.fold)').map((g) => [g.dataset.source, g.dataset.target]),
    critical: all('#' + name + ' g.edge.critical').map((g) => [g.dataset.source, g.dataset.target]),
    folded: all('#' + name + ' g.node.fold').reduce((a, g) => a + Number(g.dataset.fold), 0),
    empty: all('#' + name + ' .empty').map((e) => e.textContent),
    notes: all('#' + name + ' .note').map((e) => e.textContent),
  });
  return {
    ready: document.body.dataset.ready,
    nodes: rows('nodes-table').map((tr) => node(tr.children[0])),
    names: rows('nodes-table').map((tr) => tr.children[0].textContent),
    calls: rows('calls-table').map((tr) => [node(tr.children[0]), node(tr.children[1]), tr.children[2].textContent]),
    data: rows('data-table').map((tr) => [node(tr.children[0]), node(tr.children[1]), tr.children[2].textContent]),
    failures: rows('failures-table').map((tr) => [node(tr.children[1]), tr.children[2].textContent,
      tr.children[3].firstChild ? tr.children[3].firstChild.textContent : '']),
    jobs: all('#jobs tbody tr').map((tr) => tr.children[0].textContent),
    busiest: all('#timebar + .legend [data-node]').map((e) => e.dataset.node),
    warnings: all('#warnings div').map((e) => e.textContent),
    call: view('call'), data_view: view('data'),
    lanes: document.querySelector('#tl-canvas') ? 1 : 0,
  };
})()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def _open(browser: Browser, result: Result, tmp_path: Path, name: str = "report.html") -> dict[str, Any]:
    out = tmp_path / name
    out.write_bytes(render(result, "html"))
    seconds = browser.open(out)
    assert browser.eval("document.body.dataset.ready") == "1"
    for tab in ("call", "data", "timeline", "tables", "overview"):  # each view drawn
        browser.eval(f"document.querySelector('nav button[data-tab={tab}]').click()")
    assert browser.errors() == []
    assert browser.requests() == [out.resolve().as_uri()]  # its own file, nothing else
    assert seconds < LOAD_S
    summary: dict[str, Any] = browser.eval(SUMMARY_JS)
    summary["bytes"] = out.stat().st_size
    return summary


def _check_against_json(shown: dict[str, Any], result: Result) -> None:
    doc = orjson.loads(render(result, "json"))
    ids = [n["id"] for k in ("actors", "methods", "functions") for n in doc[k]]
    assert sorted(shown["nodes"]) == sorted(ids)
    # each shown with its name (a method after its actor, an actor by its class and name)
    names = {n["id"]: n["name"] for k in ("actors", "methods", "functions") for n in doc[k]}
    for node_id, text in zip(shown["nodes"], shown["names"]):
        assert strip_control(names[node_id]) in text, (node_id, text)
    assert sorted(map(tuple, shown["calls"])) == sorted(
        (c["source"], c["target"], f"{c['count']:,}") for c in doc["callFlows"])
    assert sorted(map(tuple, shown["data"])) == sorted(
        (d["source"], d["target"], f"{d['count']:,}") for d in doc["dataFlows"])
    assert sorted(map(tuple, shown["failures"])) == sorted(
        (f["node"] or None, f["error_type"], f["message"]) for f in doc["failures"])
    assert shown["jobs"] == [j["id"] for j in doc["summary"]["jobs"]]
    internal = {n["id"] for k in ("actors", "methods", "functions") for n in doc[k]
                if n.get("internal")}
    # the time bar: the nodes with the most execution time (all calls added up), drivers and
    # Ray's internals aside
    work = sorted(((-n["stats"]["exec_ms"]["sum"], n["id"]) for k in ("actors", "methods",
                   "functions") for n in doc[k] if n["stats"]["exec_ms"]
                   and n["stats"]["exec_ms"]["sum"] > 0 and not _is_driver(n)
                   and n["id"] not in internal))
    assert shown["busiest"] == [i for _, i in work][:len(shown["busiest"])]
    assert len(shown["busiest"]) == min(9, len(work))
    assert [w.removeprefix("⚠ ") for w in shown["warnings"]] == doc["summary"]["warnings"]
    # every call edge is drawn between its two nodes, or folded into a box that counts it;
    # except Ray's internals (marked in the JSON): listed in the tables, not drawn
    call_flows = [c for c in doc["callFlows"] if not {c["source"], c["target"]} & internal]
    data_flows = [d for d in doc["dataFlows"] if not {d["source"], d["target"]} & internal]
    call = shown["call"]
    pairs = {(c["source"], c["target"]) for c in call_flows}
    assert set(map(tuple, call["edges"])) <= pairs
    cut = any("left out" in note for note in call["notes"])  # past the nodes a view draws
    assert cut or len(call["edges"]) + call["folded"] == len(call_flows)
    assert set(call["nodes"]) <= set(ids) - internal
    # the critical path's calls are marked, where drawn
    steps = {(p["steps"][i - 1]["node"], p["steps"][i]["node"]) for p in doc["criticalPath"]
             for i in range(1, len(p["steps"]))}
    assert set(map(tuple, call["critical"])) == steps & set(map(tuple, call["edges"]))
    data = shown["data_view"]
    if data_flows:
        cut = any("left out" in note for note in data["notes"])
        assert cut or len(data["edges"]) + data["folded"] == len(data_flows)
        assert set(map(tuple, data["edges"])) <= {(d["source"], d["target"])
                                                  for d in data_flows}
    else:
        assert data["empty"] and data["empty"][0].startswith("no data flows")


def click(browser: Browser, selector: str) -> None:
    """A click on the element, as a pointer would make it (an SVG element has no .click())."""
    browser.eval(f"document.querySelector({orjson.dumps(selector).decode()})"
                 ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")


def _is_driver(node: dict[str, Any]) -> bool:
    return node["id"] == "main" or node["id"].startswith("main@")  # pipeline/identity.node_id


@pytest.mark.parametrize("name", REPORTS)
def test_every_sample_report_loads_and_shows_what_the_json_says(
        browser: Browser, tmp_path: Path, name: str) -> None:
    result = result_of(sample(name))
    _check_against_json(_open(browser, result, tmp_path), result)


def test_the_15k_task_report_loads_quickly_and_in_full(browser: Browser, tmp_path: Path,
                                                        scale_dir: Path) -> None:
    result = result_of(scale_dir)
    shown = _open(browser, result, tmp_path)
    _check_against_json(shown, result)
    assert shown["bytes"] < 10 << 20
    bars = browser.eval("document.querySelector('#timeline .toolbar').textContent")
    assert bars.startswith("14,505 attempts on ")  # every attempt drawn, none sampled


def _put_packet_of(result: Result, actor_name: str) -> str:
    """The node of the put_packet method of the sage pipeline's actor of that name."""
    return next(n.id for n in result.nodes if n.name == "put_packet" and any(
        a.id == n.actor_id and a.actor_name == actor_name for a in result.actors))


def test_clicking_a_node_shows_its_details(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("recorded/sage_pipeline"))
    _open(browser, result, tmp_path)
    source = _put_packet_of(result, "source")
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    click(browser, f'#call g.node[data-id="{source}"]')
    details = browser.eval("""(() => { const d = document.querySelector('#call .details');
      return {title: d.querySelector('h3').textContent, text: d.textContent,
              selected: [...document.querySelectorAll('#call g.node.sel')].map((g) => g.dataset.id),
              callers: [...d.querySelectorAll('[data-node]')].map((e) => e.dataset.node)}; })()""")
    assert details["title"] == "RayTask 'source'.put_packet"
    assert details["selected"] == [source]
    assert "Callers (1)" in details["text"] and "Callees (2)" in details["text"]
    assert "execution per call: p50 · p95 · max4.05 ms · 6.72 ms · 20.5 ms" in details["text"]
    assert "main" in details["callers"]
    # an edge: the calls along it
    click(browser, f'#call g.edge[data-source="main"][data-target="{source}"]')
    edge = browser.eval("document.querySelector('#call .details').textContent")
    assert edge.startswith("Callmain → RayTask 'source'.put_packet") and "calls40" in edge


def test_search_highlights_the_matching_nodes(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("recorded/sage_pipeline"))
    _open(browser, result, tmp_path)
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    hits = browser.eval("""(() => { const s = document.querySelector('#call input[type=search]');
      s.value = 'map_1'; s.dispatchEvent(new Event('input'));
      return {hit: [...document.querySelectorAll('#call g.node.hit')].map((g) => g.dataset.id || 'fold'),
              dim: document.querySelectorAll('#call g.node.dim').length,
              found: document.querySelector('#call .found').textContent}; })()""")
    map_1 = next(a.id for a in result.actors if a.actor_name == "map_1")
    # the drawn put_packet, and the setup box that holds map_1's creation and setup calls
    assert hits["hit"] == ["fold", f"{map_1}.put_packet"] or sorted(hits["hit"]) == sorted(
        ["fold", f"{map_1}.put_packet"])
    assert hits["found"] == "2 matches" and hits["dim"] == 4


def test_a_failure_shows_its_message_and_traceback(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("lattice_workflow"))
    _open(browser, result, tmp_path)
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    click(browser, '#call g.node[data-id="run_code_task"]')
    text = browser.eval("document.querySelector('#call .details').textContent")
    assert "Failures (1)" in text and "ValueError: task failed on purpose" in text
    # the worker, from its bar; its Ray node's IP (EXPORT_NODE) and id
    assert "ran on pid 7486 on Ray node 192.0.2.2 (511804a43eef)" in text
    trace = browser.eval("document.querySelector('#call .details pre.trace').textContent")
    assert 'raise ValueError("task failed on purpose")' in trace and "\x1b" not in trace
    badge = browser.eval("document.querySelector('#call g.node.failed .badge text').textContent")
    assert badge == "1"


def test_hostile_names_stay_text(browser: Browser, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "robustness"))
    try:
        from test_output_safety import HOSTILE, hostile_capture
        from robust_support import analyzed, read
    finally:
        sys.path.remove(str(ROOT / "tests" / "robustness"))
    result = analyzed(read(hostile_capture(tmp_path)))
    shown = _open(browser, result, tmp_path)
    _check_against_json(shown, result)
    # nothing from the data became an element: the page's two scripts, and no <b> but its own
    assert browser.eval("document.scripts.length") == 2
    assert browser.eval("[...document.querySelectorAll('b')].every((b) => b.className)")
    text = browser.eval("document.querySelector('#tables').textContent")
    for name in HOSTILE:
        if "\n" not in name and len(name) < 100 and "\x1b" not in name:
            shown_name = "".join(c for c in name if c.isprintable() or c == " ")
            assert shown_name.replace("\u200f", "") in text.replace("\u200f", ""), name
    assert "<script>alert(1)</script>" in text
    assert "\u202e" not in text and "\x1b" not in text
    entry = browser.eval("document.querySelector('#jobs td.wrap').textContent")
    assert entry == "python <script>&amp; [red]x[/]"


def test_thousands_of_nodes_open_and_say_what_they_leave_out(browser: Browser,
                                                              tmp_path: Path) -> None:
    from large_sessions import many_functions

    result = result_of(many_functions(tmp_path / "s", 5000))
    shown = _open(browser, result, tmp_path)
    assert shown["call"]["notes"] == ["4950 one-call setup edges folded (click a dashed box to "
                                      "see them)"]
    assert len(shown["call"]["nodes"]) == 51 and shown["call"]["folded"] == 4950
    assert len(shown["nodes"]) == 1000  # the table's first rows ...
    note = browser.eval("document.querySelector('#tables .tabletools span').textContent")
    assert note == "showing 1000 of 5,001 rows (sort or filter to see others)"  # ... and why
    assert shown["data_view"]["empty"] == [
        "no data flows in this capture: stock Ray records no object ids or sizes (record them "
        "with flowinsight.recorder)"]


def test_an_empty_capture_gives_a_report_that_says_so(browser: Browser, tmp_path: Path) -> None:
    events = tmp_path / "s" / "logs" / "events"
    events.mkdir(parents=True)
    (events / "event_CORE_WORKER_1.log").write_bytes(b"")
    result = result_of(tmp_path / "s")
    shown = _open(browser, result, tmp_path)
    _check_against_json(shown, result)
    texts = browser.eval("[...document.querySelectorAll('.empty')].map((e) => e.textContent)")
    assert texts == ["no task recorded in this capture: nothing to draw", "no data flows in this capture: stock Ray records no "
                     "object ids or sizes (record them with flowinsight.recorder)",
                     "No task attempt with a recorded execution time."]


def test_call_sites_are_shown_where_the_document_has_them(browser: Browser,
                                                           tmp_path: Path) -> None:
    """The call-site keys another part of flowinsight adds to the JSON document (callSites,
    a failure's callSite): shown when there, as text."""
    from flowinsight.render.html import page, payload

    result = result_of(sample("lattice_workflow"))
    data = payload(result)
    frames = [{"file": "/app/lattice.py", "line": 30, "function": "Scheduler.run"},
              {"file": "/app/lattice.py", "line": 41, "function": "RayExecutor.submit<b>"}]
    data["doc"]["callSites"] = [{"node": "run_code_task", "caller": "main", "count": 5,
                                 "source": "recorder", "frames": frames}]
    data["doc"]["failures"][0]["callSite"] = frames[1:]
    out = tmp_path / "sites.html"
    out.write_bytes(page(data))
    browser.open(out)
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    click(browser, '#call g.node[data-id="run_code_task"]')
    assert browser.errors() == []
    lists = browser.eval("[...document.querySelectorAll('#call .details ol.frames')]"
                         ".map((o) => [...o.children].map((li) => li.textContent))")
    assert lists == [["RayExecutor.submit<b>  /app/lattice.py:41"],  # the failure's
                     ["Scheduler.run  /app/lattice.py:30",  # the node's, outermost first
                      "RayExecutor.submit<b>  /app/lattice.py:41"]]
    text = browser.eval("document.querySelector('#call .details').textContent")
    assert "Call sites (1)" in text and "from main · 5 tasks · recorder" in text
    assert "submitted from" in text


def test_clicking_a_timeline_bar_shows_its_task(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("lattice_workflow"))
    _open(browser, result, tmp_path)
    browser.eval("document.querySelector('nav button[data-tab=timeline]').click()")
    # the first lane (below the "drivers" heading) holds the driver's one bar, across the axis
    task = browser.eval("""(() => { const c = document.querySelector('#tl-canvas');
      const r = c.getBoundingClientRect(), x = r.left + 400, y = r.top + 26 + 20 + 10;
      for (const type of ['pointerdown', 'pointerup'])
        c.dispatchEvent(new PointerEvent(type, {bubbles: true, clientX: x, clientY: y}));
      return document.querySelector('#tl-details').textContent; })()""")
    assert task.startswith("main") and "taskffffffffffffffffffffffffffffffffffffffff01000000" \
        in task and "statusFINISHED" in task


def test_a_view_past_its_node_limit_says_what_it_left_out(browser: Browser,
                                                           tmp_path: Path) -> None:
    from large_sessions import line, session

    # 600 functions, each called twice by main: no setup edge to fold, 601 nodes
    lines = [line(f"{i + 1:016x}" + "f" * 24 + "01000000", "NORMAL_TASK", f"app.fn{i % 600}")
             for i in range(1200)]
    result = result_of(session(tmp_path / "s", lines))
    shown = _open(browser, result, tmp_path)
    _check_against_json(shown, result)
    assert shown["call"]["notes"] == [
        "showing the 250 nodes with the most execution time of 601; 351 nodes and their edges "
        "are left out (the tables list all)"]
    assert len(shown["call"]["nodes"]) == 250 and "main" in shown["call"]["nodes"]


def test_tables_sort_and_filter(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("recorded/sage_pipeline"))
    _open(browser, result, tmp_path)
    browser.eval("document.querySelector('nav button[data-tab=tables]').click()")
    first = """(() => [...document.querySelectorAll('#nodes-table tbody tr')]
      .map((tr) => tr.children[0].querySelector('[data-node]').dataset.node))()"""
    browser.eval("document.querySelectorAll('#nodes-table th')[2].click()")  # calls: most first
    order = browser.eval(first)
    by_calls = sorted(result.nodes, key=lambda n: -n.calls)
    assert [n.calls for n in result.nodes if n.id == order[0]] == [by_calls[0].calls] == [80]
    browser.eval("document.querySelectorAll('#nodes-table th')[2].click()")  # and least first
    assert {n.calls for n in result.nodes if n.id == browser.eval(first)[0]} == {0}
    rows = browser.eval("""(() => { const f = document.querySelector('#tables input');
      f.value = 'map_1'; f.dispatchEvent(new Event('input'));
      return document.querySelectorAll('#nodes-table tbody tr').length; })()""")
    assert rows == 5  # map_1's actor and its four methods


def test_a_node_shows_where_in_the_code_its_tasks_were_submitted(browser: Browser,
                                                                   tmp_path: Path) -> None:
    """Call sites (samples/call_sites): the sink's put_packet was submitted 80 times from the
    two map stages' RayTask.put_packet, each site listed with its count and frames."""
    result = result_of(sample("call_sites/sage_pipeline"))
    _open(browser, result, tmp_path)
    sink = _put_packet_of(result, "sink")
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    click(browser, f'#call g.node[data-id="{sink}"]')
    text = browser.eval("document.querySelector('#call .details').textContent")
    sites = [c for c in result.call_sites if c.node == sink]
    assert len(sites) == 2 and sum(c.count for c in sites) == 80
    assert f"Call sites ({len(sites)})" in text
    assert text.count("RayTask.put_packet.<locals>.<listcomp>") == 2
    assert "40 tasks · recorder" in text


def test_undefined_tasks_are_placeholders_and_said(browser: Browser, tmp_path: Path) -> None:
    """nested_tasks cut as a partial capture (every line of `parent` gone): its callees' caller
    is the "(undefined task)" placeholder, and the warnings and the coverage card say why."""
    from test_undefined_tasks import PARENT, _cut, _task_is

    result = result_of(_cut(tmp_path, _task_is(PARENT)))
    shown = _open(browser, result, tmp_path)
    _check_against_json(shown, result)
    assert "(undefined task)" in shown["call"]["nodes"]
    assert any("1 task(s) without definition" in w for w in shown["warnings"])
    card = browser.eval("[...document.querySelectorAll('.card')].map((e) => e.textContent)"
                        ".find((t) => t.startsWith('Coverage'))")
    assert "1 task without a definition (their submission and definition events are missing" in card
    assert '1 of them named by nothing: drawn as "(undefined task)" placeholders' in card


def test_intended_ends_are_said_apart_from_the_failures(browser: Browser,
                                                          tmp_path: Path) -> None:
    # a ray.kill, owners gone, a restart asked for: 7 ends that are not failures, beside the
    # one real failure (tests/data/actor_restart_asked)
    _open(browser, result_of(DATA / "actor_restart_asked"), tmp_path)
    text = browser.eval("document.querySelector('#ends').textContent")
    assert text == ("Not failures (7): ended as asked or as Ray does"
                    "7 intended: ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED 4, "
                    "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL 1, ACTOR_RESTARTING 1, ACTOR_UNAVAILABLE 1")


ROWS_JS = """((s) => [...document.querySelectorAll(s + ' tbody tr')].map(
  (tr) => [...tr.children].map((td) => td.textContent)))"""


def test_tune_trials_show_their_starts_and_restores(browser: Browser, tmp_path: Path) -> None:
    # tests/data/tune_retry_function: FailureConfig retries; two trial actors failed, one trial
    # began again from its checkpoint (restores 1)
    _open(browser, result_of(DATA / "tune_retry_function"), tmp_path)
    rows = browser.eval(ROWS_JS + "('#tune-trials')")
    assert [r[2:5] + [r[7]] for r in rows] == [
        ["1", "0", "4", "0"], ["1", "0", "4", "0"], ["1", "0", "3", "1"], ["1", "1", "2", "0"],
        ["1", "0", "2", "1"]]
    assert all(r[1] == "flaky" and r[0].startswith("flaky #") for r in rows)
    assert browser.eval("document.querySelector('#tune .small').textContent").startswith(
        "5 trial actors; Tune started trials on them 5 times, 1 of them from a checkpoint, "
        "so 4 began from scratch.")


def test_serve_deployments_show_their_cancelled_tries(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("libraries/serve_events"))
    # the capture's router cancelled none; give Doubler the shape of a rejected burst
    # (tests/test_libraries.py: 26 tries, 13 cancelled) to see the column is its own
    serve = tuple(replace(d, requests=26, cancelled=13) if d.name == "Doubler" else d
                  for d in result.serve)
    _open(browser, replace(result, serve=serve), tmp_path)
    rows = browser.eval(ROWS_JS + "('#serve-deployments')")
    assert [[r[0], r[2], r[3], r[6], r[7]] for r in rows] == [
        ["doubler_app / Doubler", "26", "13", "0", "–"],
        ["doubler_app / Ingress", "5", "0", "0", "Doubler 5×"]]


def test_ray_data_plans_list_each_dataset_s_operators(browser: Browser, tmp_path: Path) -> None:
    _open(browser, result_of(DATA / "data_groupby_same_names"), tmp_path)
    heads = browser.eval("[...document.querySelectorAll('#datasets h4')].map((h) => h.textContent)")
    assert len(heads) == 7 and heads[0].startswith("dataset_035APQ2FoWtYNZxHhAl36U_0 · FINISHED")
    ops = browser.eval("[...document.querySelectorAll('#datasets table')][1].querySelectorAll('tbody tr').length")
    assert ops == 5
    first = browser.eval(ROWS_JS + "('#datasets table')")[:2]
    assert first == [["Input", "0", "0", "–", "–", "0", "FINISHED"],
                     ["ReadRange->Map(keyed)->Write", "4", "4", "63.5 ms", "–", "0", "FINISHED"]]
    # no library used, no library card
    _open(browser, result_of(sample("libraries/tune")), tmp_path, "t.html")
    assert browser.eval("[!!document.querySelector('#tune'), !!document.querySelector('#serve'),"
                        " !!document.querySelector('#datasets')]") == [True, False, False]


def test_the_executions_of_one_dataset_are_one_table(browser: Browser, tmp_path: Path) -> None:
    """A dataset iterated for three epochs (three ids, one plan): one table, its figures added
    up, as the picture draws it; the heading says how many executions and their states."""
    _open(browser, result_of(DATA / "data_epochs"), tmp_path)
    heads = browser.eval("[...document.querySelectorAll('#datasets h4')].map((h) => h.textContent)")
    assert len(heads) == 1 and heads[0].startswith(
        "dataset_035AUIub98h3jFk1v5E9C0_0 and 2 later executions of its plan · 3 FINISHED · ")
    assert browser.eval(ROWS_JS + "('#datasets table')") == [
        ["Input", "0", "0", "–", "–", "0", "FINISHED"],
        ["ReadRange->MapBatches(double)", "12", "12", "97.5 ms", "–", "0", "FINISHED"]]
    assert "3 datasets (1 plan, " in browser.eval("document.querySelector('#datasets').textContent")


def test_many_jobs_keep_the_header_on_one_line(browser: Browser, tmp_path: Path) -> None:
    # tests/data/jobs_submitted: seven `ray job submit` runs of one script; the headline said
    # every job and pushed the tabs onto a second line, out of the 48 px header
    _open(browser, result_of(DATA / "jobs_submitted"), tmp_path)
    assert browser.eval("document.getElementById('headline').textContent") == \
        "7 jobs · explore4_job.py"
    tops = browser.eval("[...document.querySelectorAll('nav button')].map((b) => b.getBoundingClientRect().bottom)")
    assert len(set(tops)) == 1 and tops[0] <= browser.eval(
        "document.querySelector('header').getBoundingClientRect().bottom")
    assert browser.eval("document.getElementById('headline').title").count("\n") == 6


def test_the_overview_clips_a_long_failure_note(browser: Browser, tmp_path: Path) -> None:
    # tests/data/jobs_submitted: the failed job's note carries its driver log's tail (about
    # 900 characters), which filled the Failures card
    result = result_of(DATA / "jobs_submitted")
    long = [n for n in result.failure_notes if len(n.message) > 800]
    assert len(long) == 1
    _open(browser, result, tmp_path)
    shown = browser.eval("[...document.querySelectorAll('#overview .note-line span.clipped')]"
                         ".map((s) => [s.textContent, s.title])")
    clipped = [s for s in shown if s[1] == strip_control(long[0].message)]
    assert len(clipped) == 1 and clipped[0][0] == (
        "Job entrypoint command failed with exit code 1, last available logs (truncated to "
        "20,000 chars): … RuntimeError: explore4: the driver gives up")


def test_a_trial_actor_s_details_say_its_starts_and_restores(browser: Browser,
                                                               tmp_path: Path) -> None:
    # tests/data/tune_pbt_reuse: reuse_actors, so one actor ran all 12 starts (8 restored)
    _open(browser, result_of(DATA / "tune_pbt_reuse"), tmp_path)
    browser.eval("document.querySelector('#tune-trials tbody tr:nth-child(3) [data-node]').click()")
    text = browser.eval("document.querySelector('#call .details').textContent")
    assert "Tune trial actor of climbstarts 12 · restores 8 · train calls 24" in text
    browser.eval("document.querySelector('#tune-trials tbody tr:nth-child(1) [data-node]').click()")
    text = browser.eval("document.querySelector('#call .details').textContent")
    assert "starts 0 (unused) · restores 0 · train calls 0" in text


def test_a_serve_replica_s_details_name_its_deployment(browser: Browser, tmp_path: Path) -> None:
    result = result_of(sample("libraries/serve_events"))
    _open(browser, result, tmp_path)
    (doubler,) = [d for d in result.serve if d.name == "Doubler"]
    method = next(n.id for n in result.nodes if n.actor_id == doubler.replicas[0]
                  and n.name == "handle_request_with_rejection")
    browser.eval("document.querySelector('nav button[data-tab=call]').click()")
    browser.eval(f"document.querySelector('#nodes-table [data-node=\"{method}\"]').click()")
    text = browser.eval("document.querySelector('#call .details').textContent")
    assert "Serve replica of doubler_app / Doublerrequests 5 · cancelled 0 (the deployment's)" \
        in text


def test_a_clipped_failure_message_breaks_between_words(browser: Browser,
                                                        tmp_path: Path) -> None:
    # the overview's messages wrapped mid-word ('explor|e4'): word-break break-all
    _open(browser, result_of(DATA / "jobs_submitted"), tmp_path)
    assert browser.eval("[...document.querySelectorAll('#overview .card li span[title]')]"
                        ".map((s) => getComputedStyle(s).wordBreak)") == ["normal"]


def test_coverage_counts_of_one_are_singular(browser: Browser, tmp_path: Path) -> None:
    # tests/data/jobs_submitted: one attempt with no final state, one with no execution
    _open(browser, result_of(DATA / "jobs_submitted"), tmp_path)
    assert browser.eval("[...document.querySelectorAll('#overview ul.plain li')]"
                        ".map((li) => li.textContent).filter((t) => t.includes('attempt'))") == [
        "1 attempt with no final state", "1 attempt with no execution record"]


def test_a_critical_step_in_ray_s_internals_is_said_so(browser: Browser, tmp_path: Path) -> None:
    # tests/data/data_udf_errors: the path runs through Ray Data's autoscaling coordinator,
    # which the call graph hides; the step named it with nothing to say why it was not there
    _open(browser, result_of(DATA / "data_udf_errors"), tmp_path)
    steps = browser.eval("[...document.querySelectorAll('table.critical tr td:nth-child(2)')]"
                         ".map((td) => td.textContent)")
    assert steps == ["main", "_AutoscalingCoordinatorActor 'AutoscalingCoordinator'"
                     ".request_resources (Ray's internals, not drawn)"]


def test_every_job_s_critical_path_has_the_same_columns(browser: Browser,
                                                        tmp_path: Path) -> None:
    # tests/data/jobs_submitted: seven paths, one table each, sized each by its own names
    _open(browser, result_of(DATA / "jobs_submitted"), tmp_path)
    lefts = browser.eval("[...document.querySelectorAll('table.critical')].map((t) => "
                         "[...t.querySelector('tr').children].map((td) => "
                         "Math.round(td.getBoundingClientRect().left)).join(','))")
    assert len(lefts) == 7 and len(set(lefts)) == 1


def test_failures_are_told_by_their_cause(browser: Browser, tmp_path: Path) -> None:
    # tests/data/actor_crash_retried: 9 failures from 2 causes, Sturdy's restart (4 calls cut)
    # and Fragile's death (3 calls)
    _open(browser, result_of(DATA / "actor_crash_retried"), tmp_path)
    card = browser.eval("[...document.querySelectorAll('#overview .card')].find((c) => "
                        "c.querySelector('h2').textContent === 'Failures').textContent")
    assert "9 failures from 2 causes" in card
    items = browser.eval("[...document.querySelectorAll('#overview .card ul.plain li')]"
                         ".map((li) => li.textContent)")
    # the two causes alone, each with what followed from it, in time order (Sturdy's restart
    # at ...162 s, Fragile's death at ...163 s; the document lists Fragile's first), and the
    # end that is no failure (Sturdy's death with its owner)
    assert len(items) == 3 and items[2] == "1 intended: ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED 1"
    sturdy, fragile = items[:2]
    assert sturdy.startswith("Sturdy: ACTOR_RESTARTING")
    assert fragile.startswith("Fragile: ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED")
    assert sturdy.endswith(" (4 more followed from it)")
    assert fragile.endswith(" (3 more followed from it)")
    rows = browser.eval(ROWS_JS + "('#failures-table')")
    causes = Counter(r[-1] for r in rows)
    assert causes == {"4 more followed from it": 1, "3 more followed from it": 1,
                      "follows from Sturdy: ACTOR_RESTARTING": 4,
                      "follows from Fragile: ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED": 3}
