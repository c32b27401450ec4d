"""`html`: one self-contained, offline report file: an overview (jobs, tasks, coverage,
failures, the critical path, the slowest nodes), the call graph and the data-flow graph as
interactive views, a timeline of the task attempts, and sortable tables.

One source of truth: the page shows the document that render.json_out makes (embedded as
`<script type="application/json">`), plus what the JSON has no room for, built here from the
same Result: the graph layouts, the timeline's per-attempt bars and the failed attempts' full
error text. Every string from a log reaches the page as JSON data and is put into the DOM as
text (textContent, attribute values), never as markup, its controls and bidi marks dropped;
the embedded JSON has `<`, `>`, `&`, U+2028/2029 and those controls escaped, so nothing in it
can end its script element or hide in the file. A Content Security
Policy allows only the page's own inline script (by hash) and style, and no request at all.

Layout: the graphs are laid out at export time by Graphviz's `dot` (already needed for SVG
output) and drawn by the page's own script from the positions, rather than laid out in the
browser by a vendored library (cytoscape + dagre and the like). `dot`'s layered layout is the
one the other pictures use and the best there is for call graphs; doing it once at export
keeps the file small (no library of hundreds of kB), opening fast (no layout of hundreds of nodes in
the browser), and the same bytes for the same input. Pan, zoom, search and selection are a
few lines of the page's script over an SVG. Without `dot` the report still opens, says the
graphs could not be laid out, and has everything else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from typing import Any, Sequence

import orjson

from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.html.graphs import call_view, data_view, exec_shares
from flowinsight.render.data_plans import plan_groups
from flowinsight.render.html.timeline import timeline_data
from flowinsight.render.json_out import to_document
from flowinsight.labels import Labels
from flowinsight.render.text import strip_control
from flowinsight.result import CallFlow, DataFlow, Result

_ASSETS = resources.files(__name__)
# The page's script, in parts joined in this order into one function (so they share names):
# the data and helpers first, the call that draws every view last.
SCRIPTS = ("page.js", "overview.js", "graph.js", "timeline.js", "tables.js", "main.js")
_MARKER = re.compile(r"\{\{(CSP|STYLE|SCRIPT|DATA)\}\}")
# What the embedded JSON holds escaped: `<`, `>`, `&` (no `</script>`, no `<!--`), the line
# separators (old JavaScript parsers took them for line ends), and the controls, bidi marks and
# noncharacters orjson writes raw (C0 controls it escapes itself). JSON.parse gives back the
# same strings; the page drops the controls and bidi marks when it shows a string.
_SCRIPT_UNSAFE = re.compile("[<>&\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def payload(result: Result) -> dict[str, Any]:
    """Everything the page shows: the JSON document and the views built beside it."""
    labels = Labels(result)
    shares = exec_shares(result)
    node_ids = [n.id for n in result.nodes]
    doc = to_document(result)
    return {
        "doc": doc,
        "names": {n.id: strip_control(labels.node(n.id))
                  for n in (*result.nodes, *result.hidden.nodes)},
        "shares": {k: round(v, 5) for k, v in shares.items()},
        "nodeIds": node_ids,
        "kinds": {n.id: n.kind.value for n in result.nodes},
        "views": {"call": _in_doc(call_view(result, labels, shares), result.call_flows,
                                  doc["callFlows"]),
                  "data": _in_doc(data_view(result, labels, shares), result.data_flows,
                                  doc["dataFlows"])},
        "timeline": timeline_data(result.attempts, {k: i for i, k in enumerate(node_ids)},
                                  result.jobs),
        # the executions of one dataset, as the pictures draw them: indexes into doc.datasets
        "plans": [list(group) for group in plan_groups(result)],
    }


def _in_doc(view: dict[str, Any], flows: Sequence[CallFlow | DataFlow],
            listed: list[dict[str, Any]]) -> dict[str, Any]:
    """The view with its flow numbers (of the Result's flows, in view) turned into those of the
    document's lists, which the page reads: the document also lists Ray's internals."""
    # a call drawn through Ray's internals may join the same two nodes as a recorded one
    at = {(f["source"], f["target"], tuple(f.get("via", ()))): i for i, f in enumerate(listed)}
    number = [at[(f.source, f.target, getattr(f, "via", ()))] for f in flows]
    for edge in view.get("edges", ()):
        edge["flows"] = [number[i] for i in edge["flows"]]
    for box in view.get("nodes", ()):
        if "members" in box:
            box["members"] = [number[i] for i in box["members"]]
    return view


def script_json(data: Any) -> bytes:
    """JSON text that is safe inside a <script> element (see _SCRIPT_UNSAFE)."""
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


def page(data: Any) -> bytes:
    script = '"use strict";\n(function () {\n' + "\n".join(map(_asset, SCRIPTS)) + "})();\n"
    style = _asset("report.css")
    if "</" in script or "</" in style:
        raise AssertionError("an asset would end its element early")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
           "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")
    parts = {"CSP": csp, "STYLE": style, "SCRIPT": script,
             "DATA": script_json(data).decode()}
    # one pass: nothing put in is read again as a marker
    out = _MARKER.sub(lambda m: parts[m.group(1)], _asset("report.html"))
    return out.encode()


def render(result: Result, options: RenderOptions) -> bytes:
    return page(payload(result))


RENDERER = Renderer("html", False, "an offline, interactive HTML report (layout needs `dot`)",
                    one_piece(render))
