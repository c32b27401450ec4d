// flowinsight's report: draws the embedded data. Every string from the data goes into the
// page as text (textContent, setAttribute), never as markup.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("flowinsight-data").textContent);
  const doc = DATA.doc;
  const summary = doc.summary;
  const SVG = "http://www.w3.org/2000/svg";

  // ---------- small helpers ----------
  // what a string from a log loses before it is shown: terminal escape sequences, controls
  // (newline and tab kept), bidi embeddings, overrides and isolates, noncharacters
  const CONTROL = /\u001b\[[0-9;?]*[ -\/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;
  function clean(text) { return String(text).replace(CONTROL, ""); }
  function el(tag, attrs) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    for (let i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function sv(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    setAttrs(e, attrs);
    for (let i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.setAttribute("class", v);
      else if (k === "text") e.textContent = clean(v);
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, k.slice(0, 5) === "data-" ? String(v) : clean(v));
    }
  }
  function add(e) {
    for (let i = 1; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach((x) => add(e, x));
      else e.appendChild(typeof c === "object" ? c : document.createTextNode(clean(c)));
    }
  }
  function g3(x) {
    const s = Number(x.toPrecision(3));
    return Math.abs(s) >= 1e5 ? s.toExponential(2) : String(s);
  }
  function ms(v) {
    if (v === null || v === undefined) return "–";
    if (v >= 60000) return g3(v / 60000) + " min";
    if (v >= 1000) return g3(v / 1000) + " s";
    if (v >= 1) return g3(v) + " ms";
    return g3(v * 1000) + " µs";
  }
  const UNITS = ["B", "kB", "MB", "GB", "TB"];
  function bytes(n) {
    if (n === null || n === undefined) return "unknown";
    let v = n;
    for (let i = 0; i < UNITS.length; i++) {
      if (Math.abs(v) < 1000 || i === UNITS.length - 1) return i === 0 ? Math.floor(v) + " B" : g3(v) + " " + UNITS[i];
      v /= 1000;
    }
    return String(n);
  }
  function int(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"); }
  function pct(x) { return x === null || x === undefined ? "–" : (x >= 0.1 ? (x * 100).toFixed(0) : (x * 100).toFixed(1)) + "%"; }
  function iso(msEpoch) { return msEpoch === null || msEpoch === undefined ? "–" : new Date(msEpoch).toISOString().replace("T", " ").replace("Z", " UTC"); }
  function sum(d) { return d && d.sum !== undefined ? d.sum : null; }

  // ---------- the graph nodes, as one map ----------
  const NODES = {};
  function addNode(raw, kind) {
    const id = raw.id;
    NODES[id] = { id: id, raw: raw, kind: DATA.kinds[id] || kind, label: DATA.names[id] || id,
      share: DATA.shares[id] === undefined ? null : DATA.shares[id] };
  }
  doc.actors.forEach((a) => addNode(a, "actor"));
  doc.methods.forEach((m) => addNode(m, "method"));
  doc.functions.forEach((f) => addNode(f, "function"));
  const nodeList = Object.keys(NODES).sort().map((k) => NODES[k]);
  function label(id) { return NODES[id] ? NODES[id].label : (id || "(no node)"); }
  // the critical path's steps and calls, marked in the call graph
  const CRIT_NODES = new Set(), CRIT_EDGES = new Set();
  doc.criticalPath.forEach((p) => p.steps.forEach((st, i) => { CRIT_NODES.add(st.node); if (i) CRIT_EDGES.add(p.steps[i - 1].node + "\u0000" + st.node); }));
  const failuresOf = {};
  doc.failures.forEach((f) => { (failuresOf[f.node] = failuresOf[f.node] || []).push(f); });
  const ERRORS = DATA.timeline.errors || {};

  // ---------- the header, warnings and tabs ----------
  const jobs = summary.jobs;
  const headline = document.getElementById("headline");
  headline.textContent = jobs.length
    ? jobs.map((j) => "job " + j.id + (j.entrypoint ? " · " + shortEntry(j.entrypoint) : "")).join("  |  ")
    : "no job recorded";
  function shortEntry(e) { const parts = e.split(" ").filter((p) => p.indexOf("/") >= 0 || p.indexOf(".py") >= 0); const last = parts.length ? parts[parts.length - 1] : e; return last.split("/").pop(); }
  document.title = "flowinsight · " + (jobs.length ? jobs.map((j) => shortEntry(j.entrypoint || j.id)).join(", ") : "report");
  const warnBox = document.getElementById("warnings");
  summary.warnings.forEach((w) => add(warnBox, el("div", null, "⚠ " + w)));
  // the graph views fill the window below the header and the warnings
  function chrome() { document.documentElement.style.setProperty("--chrome", (document.querySelector("header").offsetHeight + warnBox.offsetHeight) + "px"); }
  chrome();
  window.addEventListener("resize", chrome);

  const tabs = {};
  function showTab(name) {
    document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
    document.querySelectorAll("section.tab").forEach((s) => s.classList.toggle("on", s.id === name));
    if (tabs[name] && tabs[name].shown) tabs[name].shown();
  }
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  function nodeLink(id) {
    return el("span", { class: "link", "data-node": id, onclick: () => focusNode(id) }, label(id));
  }

  // ---------- node, edge and failure details (shared by every view) ----------
  function statRows(s) {
    const rows = [["calls (tasks)", int(s.tasks)], ["attempts", int(s.attempts)]];
    if (s.failures) rows.push(["failed attempts", int(s.failures)]);
    if (s.retries) rows.push(["retries", int(s.retries)]);
    const e = s.exec_ms, q = s.queue_ms;
    if (e) rows.push(["execution per call: p50 · p95 · max", ms(e.p50) + " · " + ms(e.p95) + " · " + ms(e.max)],
      ["execution total (" + int(e.count) + " runs)", ms(e.sum)]);
    if (q) rows.push(["queue per call: p50 · p95 · max", ms(q.p50) + " · " + ms(q.p95) + " · " + ms(q.max)]);
    return rows;
  }
  function kvTable(rows) {
    return el("table", null, el("tbody", null, rows.map((r) => el("tr", null, el("td", null, r[0]), el("td", { class: "num" }, r[1])))));
  }
  function failureBlock(f) {
    const full = ERRORS[f.taskId + ":" + f.attempt];
    const extra = Object.keys(f).filter((k) => ["kind", "node", "taskId", "attempt", "error_type", "message", "time_s", "callSite"].indexOf(k) < 0 && f[k] !== null && f[k] !== "");
    return el("div", { class: "failure" },
      el("div", null, el("b", { class: "bad" }, f.error_type || f.kind), " ", f.message),
      el("div", { class: "small muted mono wrap" }, f.kind + (f.taskId ? " · task " + f.taskId : "") + (f.attempt !== null && f.attempt !== undefined ? " · attempt " + f.attempt : "") + (f.time_s ? " · " + iso(f.time_s * 1000) : "")),
      f.taskId && TL.where(f.taskId, f.attempt) ? el("div", { class: "small muted" }, "ran on " + TL.where(f.taskId, f.attempt)) : null,
      extra.map((k) => {
        const v = typeof f[k] === "string" ? f[k] : JSON.stringify(f[k], null, 1);
        return v.indexOf("\n") >= 0 ? [el("div", { class: "small muted" }, k), el("pre", { class: "trace" }, v)] : el("div", { class: "small mono wrap" }, k + ": " + v);
      }),
      full && full[1] && full[1].trim() !== f.message ? el("pre", { class: "trace" }, full[1]) : null,
      Array.isArray(f.callSite) && f.callSite.length ? [el("div", { class: "small muted" }, "submitted from"), frameList(f.callSite)] : null);
  }
  // Call sites, where the capture has them: the document's callSites ({node, caller, count,
  // source, frames: [{file, line, function}]}, outermost frame first), or a node's call_sites.
  function frameList(frames) {
    return el("ol", { class: "frames mono small" }, frames.map((f, i) => el("li", { class: i === frames.length - 1 ? "last wrap" : "wrap" }, siteText(f))));
  }
  function callSites(id, raw) {
    const sites = (doc.callSites || []).filter((c) => c.node === id);
    const own = raw.call_sites;
    if (!sites.length && !(own && own.length)) return null;
    return [el("h4", null, "Call sites" + (sites.length ? " (" + sites.length + ")" : "")),
      sites.slice(0, 50).map((c) => el("div", { class: "site" },
        el("div", { class: "small" }, c.caller ? ["from ", nodeLink(c.caller)] : "from an unknown caller", " · " + int(c.count) + " task" + (c.count === 1 ? "" : "s") + (c.source ? " · " + c.source : "")),
        c.frames && c.frames.length ? frameList(c.frames) : null)),
      own && own.length ? el("ul", { class: "plain mono small" }, own.map((s) => el("li", { class: "wrap" }, Array.isArray(s) ? frameList(s) : siteText(s)))) : null];
  }
  function siteText(s) {
    if (typeof s !== "object" || s === null) return String(s);
    const file = s.file || s.filename || s.path || "";
    const line = s.line || s.lineno;
    const fn = s.function || s.func || s.name || "";
    const known = file || fn ? ((fn ? fn + "  " : "") + file + (line ? ":" + line : "")) : "";
    const rest = Object.keys(s).filter((k) => ["file", "filename", "path", "line", "lineno", "function", "func", "name"].indexOf(k) < 0)
      .map((k) => k + "=" + (typeof s[k] === "string" ? s[k] : JSON.stringify(s[k])));
    return [known].concat(rest).filter((x) => x).join("  ");
  }
  function flowList(title, flows, other, fmt) {
    if (!flows.length) return null;
    return [el("h4", null, title + " (" + flows.length + ")"),
      el("table", null, el("tbody", null, flows.slice(0, 200).map((c) => el("tr", null, el("td", null, nodeLink(c[other])), el("td", { class: "num" }, fmt(c))))))];
  }
  function nodeDetails(id) {
    const n = NODES[id];
    if (!n) return el("div", { class: "muted" }, "unknown node " + id);
    const r = n.raw;
    const rows = [["kind", n.kind + (r.inferred ? " (inferred: no definition recorded)" : "")]];
    if (r.module) rows.push(["module", r.module]);
    if (n.kind === "actor" || n.kind === "method") {
      const actor = NODES[r.actorId || id];
      if (actor) rows.push(["actor", actor.raw.name + (actor.raw.actor_name ? " '" + actor.raw.actor_name + "'" : "") + (actor.raw.state ? " · " + actor.raw.state : "")]);
    }
    if (r.jobId) rows.push(["job", r.jobId]);
    rows.push(["share of execution time", n.kind === "driver" ? "– (a driver waits on the others)" : pct(n.share)]);
    const callers = doc.callFlows.filter((c) => c.target === id);
    const callees = doc.callFlows.filter((c) => c.source === id);
    const din = doc.dataFlows.filter((d) => d.target === id);
    const dout = doc.dataFlows.filter((d) => d.source === id);
    const fails = failuresOf[id] || [];
    return el("div", null,
      el("h3", { class: "title" }, n.label),
      el("div", { class: "mono small muted wrap" }, id),
      el("h4", null, "What it is"), kvTable(rows),
      el("h4", null, "Statistics"), kvTable(statRows(r.stats)),
      flowList("Callers", callers, "source", (c) => c.count + "× · p95 " + ms(c.stats.exec_ms && c.stats.exec_ms.p95)),
      flowList("Callees", callees, "target", (c) => c.count + "× · p95 " + ms(c.stats.exec_ms && c.stats.exec_ms.p95)),
      flowList("Data in", din, "source", (d) => d.count + "× · " + bytes(d.bytes)),
      flowList("Data out", dout, "target", (d) => d.count + "× · " + bytes(d.bytes)),
      fails.length ? [el("h4", null, "Failures (" + fails.length + ")"), fails.slice(0, 50).map(failureBlock)] : null,
      callSites(id, r));
  }
  function callDetails(c) {
    const rows = [["calls", int(c.count)], ["rate", c.per_s === null ? "–" : g3(c.per_s) + " /s"]].concat(statRows(c.stats));
    return el("div", null, el("h3", null, "Call"), el("div", null, nodeLink(c.source), " → ", nodeLink(c.target)),
      el("h4", null, "Along this edge"), kvTable(rows), edgeSites(c));
  }
  function edgeSites(c) {
    const sites = (doc.callSites || []).filter((s) => s.node === c.target && s.caller === c.source);
    if (!sites.length) return null;
    return [el("h4", null, "Call sites"), sites.slice(0, 50).map((s) => el("div", { class: "site" }, el("div", { class: "small" }, int(s.count) + " task" + (s.count === 1 ? "" : "s") + (s.source ? " · " + s.source : "")), frameList(s.frames || [])))];
  }
  function dataDetails(d) {
    const rows = [["transfers", int(d.count)], ["bytes", bytes(d.bytes) + (d.unsized ? " (+" + d.unsized + " of unknown size)" : "")],
      ["speed", d.speed], ["latency p50 / p95", d.latency_ms ? ms(d.latency_ms.p50) + " / " + ms(d.latency_ms.p95) : "–"]];
    return el("div", null, el("h3", null, "Data flow"), el("div", null, nodeLink(d.source), " → ", nodeLink(d.target)), el("h4", null, "Transfers"), kvTable(rows));
  }

  // ---------- one colour per busy node, shared by the overview's time bar and the timeline ----------
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6"];
  const OTHER = "#bab0ac", DRIVER = "#c5cfdb";
  const execSum = (n) => (n.raw.stats.exec_ms ? n.raw.stats.exec_ms.sum : 0);
  const TIME_RANK = nodeList.filter((n) => n.kind !== "driver" && execSum(n) > 0).sort((a, b) => execSum(b) - execSum(a) || (a.id < b.id ? -1 : 1)).slice(0, PALETTE.length).map((n) => n.id);
  function timeColour(id) {
    if (DATA.kinds[id] === "driver") return DRIVER;
    const r = TIME_RANK.indexOf(id);
    return r >= 0 ? PALETTE[r] : OTHER;
  }

  // ---------- overview ----------
  function card(title, wide) { return el("div", { class: "card" + (wide ? " wide" : "") }, el("h2", null, title)); }
  function figure(v, k, bad) { return el("div", { class: "figure" + (bad ? " bad" : "") }, el("div", { class: "v" }, v), el("div", { class: "k" }, k)); }
  function overview() {
    const root = document.getElementById("overview");
    const grid = el("div", { class: "grid" });
    root.appendChild(grid);
    const calls = doc.callFlows.reduce((a, c) => a + c.count, 0);
    const c = summary.coverage;
    const run = card("The run", true);
    const starts = jobs.map((j) => j.start_ms).filter((v) => v !== null), ends = jobs.map((j) => j.end_ms).filter((v) => v !== null);
    const wall = starts.length && ends.length ? Math.max.apply(null, ends) - Math.min.apply(null, starts) : null;
    add(run, el("div", { class: "figures" },
      figure(wall === null ? "–" : ms(wall), jobs.length > 1 ? "wall time, first start to last end" : "wall time"),
      figure(int(summary.tasks), "task records"),
      figure(int(nodeList.length), "graph nodes"),
      figure(int(calls), "calls on " + int(doc.callFlows.length) + " call edges"),
      figure(int(doc.dataFlows.length), "data edges"),
      figure(pct(c.ratio), "coverage", !c.complete),
      figure(int(summary.failures.total), "failures", summary.failures.total > 0)));
    if (TIME_RANK.length) {
      const rest = 1 - TIME_RANK.reduce((a, id) => a + NODES[id].share, 0);
      const parts = TIME_RANK.map((id) => [id, NODES[id].share]).concat(rest > 0.0005 ? [[null, rest]] : []);
      add(run, el("div", { class: "small muted" }, "where the execution time went: each node's calls added up (a caller's time includes its waits on its callees; drivers aside)"),
        el("div", { class: "timebar", id: "timebar" }, parts.map((p) => el("span", { style: "width:" + (p[1] * 100).toFixed(2) + "%;background:" + (p[0] ? timeColour(p[0]) : OTHER), title: (p[0] ? label(p[0]) : "other") + ": " + pct(p[1]) }))),
        el("div", { class: "legend", style: "margin-bottom:8px" }, parts.map((p) => el("span", { class: "item" }, el("span", { class: "sw", style: "background:" + (p[0] ? timeColour(p[0]) : OTHER) }), " ", p[0] ? nodeLink(p[0]) : "other", " " + pct(p[1])))));
    }
    add(run, el("table", { id: "jobs" }, el("thead", null, el("tr", null, ["job", "start", "wall time", "tasks", "entrypoint"].map((h, i) => el("th", { class: i === 2 || i === 3 ? "num" : null }, h)))),
      el("tbody", null, jobs.map((j) => el("tr", null, el("td", { class: "mono nowrap" }, j.id), el("td", { class: "mono nowrap" }, iso(j.start_ms)),
        el("td", { class: "num" }, j.start_ms !== null && j.end_ms !== null ? ms(j.end_ms - j.start_ms) : "–"), el("td", { class: "num" }, int(j.tasks)),
        el("td", { class: "mono wrap small" }, j.entrypoint || "–"))))));
    add(run, el("div", { class: "small muted", style: "margin-top:8px" }, int(summary.events) + " events from " + int(summary.files) + " files (" + summary.sources.join(", ") + "); object events: " + (summary.object_events ? "yes" : "no, so no data flows")));
    grid.appendChild(run);

    const cov = card("Coverage");
    add(cov, el("div", { class: c.complete ? "ok" : "bad" }, c.complete ? "Complete: every task record has its definition, caller, final state and execution." : "Incomplete: " + pct(c.ratio) + " of " + int(c.tasks) + " tasks are complete."));
    const missing = [["without_definition", "tasks without a definition (named from ids)"], ["without_parent", "tasks whose caller was never recorded"],
      ["without_final_state", "attempts with no final state"], ["without_execution", "attempts with no execution record"],
      ["truncated_files", "truncated files"], ["skipped_lines", "skipped lines"]].filter((m) => c[m[0]]);
    if (missing.length) add(cov, el("ul", { class: "plain" }, missing.map((m) => el("li", null, el("b", { class: "count" }, int(c[m[0]])), " " + m[1]))));
    const reasons = summary.skipped.by_reason;
    if (Object.keys(reasons).length) add(cov, el("div", { class: "small muted" }, "skipped: " + Object.keys(reasons).map((k) => k + " " + reasons[k]).join(", ")));
    if (summary.truncated_files.length) add(cov, el("div", { class: "small muted mono wrap" }, "truncated: " + summary.truncated_files.join(", ")));
    if (c.empty_files) add(cov, el("div", { class: "small muted" }, c.empty_files + " empty files"));
    grid.appendChild(cov);

    const fail = card("Failures");
    if (!doc.failures.length) add(fail, el("div", { class: "ok" }, "No failure recorded."));
    else {
      const types = summary.failures.by_type;
      add(fail, el("div", { class: "figures" }, Object.keys(types).map((t) => figure(int(types[t]), t || "(no type)", true))));
      add(fail, el("ul", { class: "plain" }, doc.failures.slice(0, 6).map((f) => el("li", null, nodeLink(f.node), ": ", el("span", { class: "bad" }, f.error_type), " ", f.message))));
      if (doc.failures.length > 6) add(fail, el("div", { class: "small muted" }, (doc.failures.length - 6) + " more in the failures table"));
    }
    doc.failureNotes.slice(0, 5).forEach((n) => add(fail, el("div", { class: "small" }, n.label + ": " + n.message)));
    grid.appendChild(fail);

    const data = card("Largest data flows");
    if (!doc.dataFlows.length) add(data, el("div", { class: "muted" }, summary.object_events ? "No object was read by another task." : "No object events in this capture, so no data flows: stock Ray records no object ids or sizes (record them with flowinsight.recorder)."));
    else {
      const big = doc.dataFlows.slice().sort((a, b) => (b.bytes || 0) - (a.bytes || 0) || b.count - a.count).slice(0, 6);
      add(data, el("table", null, el("tbody", null, big.map((d) => el("tr", null, el("td", null, nodeLink(d.source), " → ", nodeLink(d.target)),
        el("td", { class: "num" }, bytes(d.bytes)), el("td", { class: "num muted small" }, d.count + "×"))))));
    }
    grid.appendChild(data);

    const crit = card("Critical path", true);
    if (!doc.criticalPath.length) add(crit, el("div", { class: "muted" }, "No chain of executions recorded."));
    doc.criticalPath.forEach((p) => {
      add(crit, el("div", { class: "small muted" }, "job " + p.jobId + ": " + p.steps.length + " steps, " + ms(p.total_ms) + " from the first step's start to the last end. Each step's own execution time:"));
      const t0 = TL.startOf(p.steps[0] && p.steps[0].taskId);
      add(crit, el("table", { class: "critical" }, el("tbody", null, p.steps.map((s, i) => {
        const st = TL.startOf(s.taskId);
        const left = st !== null && t0 !== null && p.total_ms > 0 ? Math.max(0, Math.min(100, (st - t0) / 1000 / p.total_ms * 100)) : 0;
        const width = p.total_ms > 0 ? Math.max(0.5, Math.min(100 - left, s.exec_ms / p.total_ms * 100)) : 0;
        return el("tr", null, el("td", { class: "num muted" }, String(i + 1)), el("td", null, nodeLink(s.node)),
          el("td", { class: "num" }, ms(s.exec_ms)),
          el("td", { style: "width:45%" }, el("div", { class: "bar" }, el("span", { style: "left:" + left.toFixed(2) + "%;width:" + width.toFixed(2) + "%" }))));
      }))));
    });
    grid.appendChild(crit);

    const work = nodeList.filter((n) => n.kind !== "driver" && n.raw.stats.exec_ms);
    const byTotal = work.slice().sort((a, b) => b.raw.stats.exec_ms.sum - a.raw.stats.exec_ms.sum || (a.id < b.id ? -1 : 1)).slice(0, 8);
    const byP95 = work.slice().sort((a, b) => b.raw.stats.exec_ms.p95 - a.raw.stats.exec_ms.p95 || (a.id < b.id ? -1 : 1)).slice(0, 8);
    const slow = card("Slowest nodes", true);
    const top = byTotal.length ? byTotal[0].raw.stats.exec_ms.sum : 1;
    add(slow, el("div", { class: "two" },
      el("div", null, el("div", { class: "small muted" }, "by total execution time (all calls added up)"),
        el("table", { id: "slow-total" }, el("tbody", null, byTotal.map((n) => el("tr", null, el("td", null, nodeLink(n.id)),
          el("td", { class: "num" }, ms(n.raw.stats.exec_ms.sum)), el("td", { class: "num muted small" }, int(n.raw.stats.exec_ms.count) + (n.raw.stats.exec_ms.count === 1 ? " run" : " runs")), el("td", { class: "num muted small" }, pct(n.share))))))),
      el("div", null, el("div", { class: "small muted" }, "by p95 execution time per call"),
        el("table", { id: "slow-p95" }, el("tbody", null, byP95.map((n) => el("tr", null, el("td", null, nodeLink(n.id)),
          el("td", { class: "num" }, ms(n.raw.stats.exec_ms.p95)), el("td", { class: "num muted small" }, "max " + ms(n.raw.stats.exec_ms.max)))))))));
    if (!work.length) add(slow, el("div", { class: "muted" }, "No execution time recorded."));
    void top;
    grid.appendChild(slow);
  }

  // ---------- timeline data (also used by the overview) ----------
  const TL = (function () {
    const t = DATA.timeline, b = t.bars, n = b.task.length;
    const firstStart = {}, bar = {};
    for (let i = 0; i < n; i++) { if (!(b.task[i] in firstStart)) firstStart[b.task[i]] = b.start[i]; bar[b.task[i] + ":" + b.attempt[i]] = i; }
    // where an attempt ran: "pid N on Ray node X", from its bar
    function where(task, attempt) {
      const i = bar[task + ":" + attempt];
      if (i === undefined) return "";
      const lane = t.lanes[b.lane[i]];
      return lane.group === "driver" ? lane.label : lane.label + " on Ray node " + lane.group.slice(0, 12);
    }
    return { data: t, n: n, startOf: (task) => (task && task in firstStart ? firstStart[task] : null), where: where };
  })();

  // ---------- colour by share of execution time ----------
  const BINS = [[0.01, "#fff4de", "< 1%"], [0.05, "#fdd9a0", "1–5%"], [0.2, "#f9a95b", "5–20%"], [0.5, "#e8702a", "20–50%"], [Infinity, "#a8431c", "≥ 50%"]];
  function fillOf(share, kind) {
    if (kind === "fold") return "#f6f7f9";
    if (share === null || share === undefined) return "#e9eef5";
    for (const bin of BINS) if (share < bin[0]) return bin[1];
    return BINS[BINS.length - 1][1];
  }
  function inkOf(fill) { return fill === "#e8702a" || fill === "#a8431c" ? "#ffffff" : "#1d2733"; }
  function legend() {
    return el("div", { class: "legend" }, el("span", { class: "item", title: "a node's execution time, all its calls added up, over that of every task (a caller's includes the time it waits on its callees)" }, "share of execution time:"),
      BINS.map((b) => el("span", { class: "item" }, el("span", { class: "sw", style: "background:" + b[1] }), " " + b[2])),
      el("span", { class: "item" }, el("span", { class: "sw", style: "background:#e9eef5" }), " driver / no time"));
  }

  // ---------- graph views ----------
  const views = {};
  function GraphView(name, view, flows) {
    const section = document.getElementById(name);
    const isData = name === "data";
    const self = { name: name, fitted: false };
    tabs[name] = self;
    const toolbar = el("div", { class: "toolbar" });
    const search = el("input", { type: "search", placeholder: "search nodes (name or id)  /", "aria-label": "search nodes" });
    const found = el("span", { class: "small muted found" });
    const crit = isData || !CRIT_EDGES.size ? null : el("label", { class: "small crit-toggle" }, el("input", { type: "checkbox", checked: "checked", onchange: (ev) => { const pic = section.querySelector("svg"); if (pic) pic.classList.toggle("showcrit", ev.target.checked); } }), " critical path");
    add(toolbar, search, found, el("button", { onclick: () => self.fit && self.fit() }, "fit"), el("button", { onclick: () => self.zoomBy && self.zoomBy(1.25) }, "+"), el("button", { onclick: () => self.zoomBy && self.zoomBy(0.8) }, "−"), crit, legend(),
      el("span", { class: "small muted" }, isData ? "edges: transfers × bytes" : "edges: calls; boxes: calls · total execution time"));
    section.appendChild(toolbar);
    [view.note, view.fold_note ? view.fold_note + " (click a dashed box to see them)" : "", view.error].filter((x) => x).forEach((x) => section.appendChild(el("div", { class: x === view.fold_note + " (click a dashed box to see them)" ? "note info" : "note" }, x)));
    const mainBox = el("div", { class: "graphmain" });
    const box = el("div", { class: "graphbox" });
    const details = el("aside", { class: "details" }, el("div", { class: "muted" }, "Click a node or an edge to see its statistics, callers and callees" + (isData ? ", and what it sends and receives." : ", failures and tracebacks.")));
    mainBox.appendChild(box); mainBox.appendChild(details); section.appendChild(mainBox);
    self.details = details;
    if (view.empty || !view.nodes || !view.nodes.length || view.width === undefined) {
      box.appendChild(el("div", { class: "empty" }, view.empty || view.error || "Nothing to draw."));
      self.select = (id) => { details.replaceChildren(nodeDetails(id)); };
      views[name] = self;
      return self;
    }
    const svg = sv("svg", { role: "img", "aria-label": name === "call" ? "call graph" : "data-flow graph", class: "showcrit" });
    const defs = sv("defs", null,
      sv("marker", { id: name + "-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "9", markerHeight: "9", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, sv("path", { d: "M0,0 L10,5 L0,10 z", fill: isData ? "#2f6fb2" : "#7b8794" })),
      sv("marker", { id: name + "-arrow-fold", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "8", markerHeight: "8", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, sv("path", { d: "M0,0 L10,5 L0,10 z", fill: "#a7b0ba" })));
    const port = sv("g", { class: "viewport" });
    svg.appendChild(defs); svg.appendChild(port); box.appendChild(svg);
    const nodeEls = [], edgeEls = [];
    view.edges.forEach((e, k) => {
      const one = e.fold ? null : flows[e.flows[0]];
      const critical = !isData && one && CRIT_EDGES.has(one.source + "\u0000" + one.target);
      const g = sv("g", { class: "edge" + (isData ? " data" : "") + (e.fold ? " fold" : "") + (critical ? " critical" : ""), "data-edge": k, "data-flows": e.flows.length,
        "data-source": one ? one.source : null, "data-target": one ? one.target : null },
        sv("path", { class: "line", d: e.path, "stroke-width": (1 + 3.5 * e.w).toFixed(2), "marker-end": "url(#" + name + "-arrow" + (e.fold ? "-fold" : "") + ")" }),
        sv("path", { class: "hitarea", d: e.path }),
        e.lx !== undefined ? sv("text", { x: e.lx, y: e.ly + 3, "text-anchor": "middle", text: e.label }) : null,
        sv("title", { text: one ? label(one.source) + " → " + label(one.target) + ": " + e.label : e.label + " (folded)" }));
      g.addEventListener("click", (ev) => { ev.stopPropagation(); selectEdge(k); });
      port.appendChild(g); edgeEls.push(g);
    });
    view.nodes.forEach((n, k) => {
      const fill = fillOf(n.share, n.kind);
      const failed = n.kind !== "fold" && NODES[n.id] ? NODES[n.id].raw.failures : 0;
      const inferred = n.kind !== "fold" && NODES[n.id] && NODES[n.id].raw.inferred;
      const g = sv("g", { class: "node " + n.kind + (failed ? " failed" : "") + (inferred ? " inferred" : "") + (!isData && CRIT_NODES.has(n.id) ? " critical" : ""), "data-id": n.kind === "fold" ? null : n.id, "data-fold": n.kind === "fold" ? n.members.length : null, transform: "translate(" + (n.x - n.w / 2) + "," + (n.y - n.h / 2) + ")" });
      g.appendChild(sv("rect", { width: n.w, height: n.h, rx: n.kind === "driver" ? n.h / 2 : 6, fill: fill }));
      const lh = 13, top = n.h / 2 - (n.lines.length * lh) / 2 + 10;
      const text = sv("text", { "text-anchor": "middle", fill: inkOf(fill) });
      n.lines.forEach((line, i) => text.appendChild(sv("tspan", { x: n.w / 2, y: top + i * lh, class: i === 0 ? "first" : null, text: line })));
      g.appendChild(text);
      if (failed) g.appendChild(sv("g", { class: "badge" }, sv("circle", { cx: n.w, cy: 0, r: 8 }), sv("text", { x: n.w, y: 3.5, "text-anchor": "middle", text: failed > 99 ? "99+" : failed })));
      g.appendChild(sv("title", { text: n.kind === "fold" ? n.lines.join(" ") : label(n.id) }));
      g.addEventListener("click", (ev) => { ev.stopPropagation(); selectNode(k); });
      port.appendChild(g); nodeEls.push(g);
    });

    // pan and zoom: a transform on the viewport group, in screen pixels
    let s = 1, tx = 0, ty = 0;
    function apply() { port.setAttribute("transform", "translate(" + tx.toFixed(1) + "," + ty.toFixed(1) + ") scale(" + s.toFixed(4) + ")"); }
    function fit() {
      const r = box.getBoundingClientRect();
      if (!r.width || !r.height) return;
      s = Math.min((r.width - 40) / view.width, (r.height - 40) / view.height, 1.6);
      tx = (r.width - view.width * s) / 2; ty = (r.height - view.height * s) / 2; apply();
      self.fitted = true;
    }
    function zoomAt(f, px, py) { const ns = Math.max(0.05, Math.min(8, s * f)); tx = px - (px - tx) * ns / s; ty = py - (py - ty) * ns / s; s = ns; apply(); }
    function zoomBy(f) { const r = box.getBoundingClientRect(); zoomAt(f, r.width / 2, r.height / 2); }
    function centerOn(n) { const r = box.getBoundingClientRect(); s = Math.max(s, 0.8); tx = r.width / 2 - n.x * s; ty = r.height / 2 - n.y * s; apply(); }
    box.addEventListener("wheel", (ev) => { ev.preventDefault(); const r = box.getBoundingClientRect(); zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top); }, { passive: false });
    let drag = null;
    box.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty, moved: false }; });
    window.addEventListener("pointermove", (ev) => { if (!drag) return; const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y; if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true; tx = drag.tx + dx; ty = drag.ty + dy; apply(); });
    window.addEventListener("pointerup", () => { drag = null; });
    self.shown = () => { if (!self.fitted) fit(); };
    self.fit = fit; self.zoomBy = zoomBy;

    function clearSel() { nodeEls.concat(edgeEls).forEach((e) => e.classList.remove("sel", "faded")); }
    function selectNode(k) {
      clearSel(); nodeEls[k].classList.add("sel");
      // its neighbourhood stands out: the other nodes and edges fade
      const near = new Set([k]);
      view.edges.forEach((e, j) => { const on = e.s === k || e.t === k; if (on) { near.add(e.s); near.add(e.t); } edgeEls[j].classList.toggle("faded", !on); });
      nodeEls.forEach((g, j) => g.classList.toggle("faded", !near.has(j)));
      const n = view.nodes[k];
      if (n.kind === "fold") {
        const members = n.members.map((i) => flows[i]);
        details.replaceChildren(el("div", null, el("h3", null, n.lines[0]),
          el("div", { class: "small muted" }, isData ? "Small flows, folded into one box so that the large ones show the pipeline." : "Calls made once each to leaves called once (setup: creating actors, connecting them, ...), folded into one box."),
          el("table", null, el("tbody", null, members.map((f) => el("tr", null, el("td", null, nodeLink(f.source), " → ", nodeLink(f.target)), el("td", { class: "num" }, isData ? f.count + "× · " + bytes(f.bytes) : f.count + "×")))))));
      } else details.replaceChildren(nodeDetails(n.id));
    }
    function selectEdge(k) {
      clearSel(); edgeEls[k].classList.add("sel");
      const e = view.edges[k];
      if (e.fold) { selectNode(e.t < view.nodes.length && view.nodes[e.t].kind === "fold" ? e.t : e.s); edgeEls[k].classList.add("sel"); return; }
      const f = flows[e.flows[0]];
      details.replaceChildren(isData ? dataDetails(f) : callDetails(f));
    }
    const index = {};
    view.nodes.forEach((n, k) => { if (n.kind !== "fold") index[n.id] = k; });
    const foldOf = {};
    view.nodes.forEach((n, k) => { if (n.kind === "fold") n.members.forEach((i) => { foldOf[flows[i].target] = k; foldOf[flows[i].source] = foldOf[flows[i].source] === undefined && index[flows[i].source] === undefined ? k : foldOf[flows[i].source]; }); });
    self.select = (id) => {
      const k = index[id];
      if (k !== undefined) { selectNode(k); centerOn(view.nodes[k]); return; }
      clearSel();
      details.replaceChildren(el("div", { class: "note info" }, foldOf[id] !== undefined ? "Folded into a dashed box in this view." : "Not drawn in this view."), nodeDetails(id));
      if (foldOf[id] !== undefined) nodeEls[foldOf[id]].classList.add("sel");
    };
    function runSearch(jump) {
      const q = search.value.trim().toLowerCase();
      let hits = 0, first = -1;
      view.nodes.forEach((n, k) => {
        let hit = false;
        if (q) {
          if (n.kind === "fold") hit = n.members.some((i) => [flows[i].source, flows[i].target].some((id) => (label(id) + " " + id).toLowerCase().indexOf(q) >= 0));
          else hit = (label(n.id) + " " + n.id).toLowerCase().indexOf(q) >= 0;
        }
        nodeEls[k].classList.toggle("hit", hit);
        nodeEls[k].classList.toggle("dim", !!q && !hit);
        if (hit) { hits++; if (first < 0) first = k; }
      });
      edgeEls.forEach((e) => e.classList.toggle("dim", !!q));
      found.textContent = q ? hits + " match" + (hits === 1 ? "" : "es") : "";
      if (jump && first >= 0) { selectNode(first); centerOn(view.nodes[first]); }
    }
    search.addEventListener("input", () => runSearch(false));
    search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") runSearch(true); });
    let pressed = null;
    svg.addEventListener("pointerdown", (ev) => { pressed = { x: ev.clientX, y: ev.clientY }; });
    svg.addEventListener("click", (ev) => {  // a click on the background, not a drag, clears
      if (!pressed || Math.abs(ev.clientX - pressed.x) + Math.abs(ev.clientY - pressed.y) > 3) return;
      clearSel();
    });
    views[name] = self;
    return self;
  }
  function focusNode(id) {
    showTab("call");
    if (views.call) views.call.select(id);
  }

  // ---------- timeline ----------
  function timelineView() {
    const root = document.getElementById("timeline");
    const t = DATA.timeline, b = t.bars, n = b.task.length;
    const head = el("div", { class: "toolbar" });
    root.appendChild(head);
    t.notes.forEach((x) => root.appendChild(el("div", { class: "note" }, x)));
    if (!n) { root.appendChild(el("div", { class: "card empty" }, "No task attempt with a recorded execution time.")); return; }
    // colours: those of the overview's time bar (nodes by share of execution time)
    const colour = {}, present = new Set();
    for (let i = 0; i < n; i++) { const k = b.node[i]; if (!(k in colour)) colour[k] = k >= 0 ? timeColour(DATA.nodeIds[k]) : OTHER; present.add(k); }
    const nodeName = (k) => (k >= 0 ? label(DATA.nodeIds[k]) : "(unknown)");
    const shown = TIME_RANK.filter((id) => present.has(DATA.nodeIds.indexOf(id)));
    add(head, el("span", { class: "small muted" }, int(n) + " attempts on " + t.lanes.length + " lanes · wheel to zoom, drag to pan, double-click to reset"),
      el("div", { class: "legend" }, shown.map((id) => el("span", { class: "item" }, el("span", { class: "sw", style: "background:" + timeColour(id) }), " " + label(id))),
        el("span", { class: "item" }, el("span", { class: "sw", style: "background:" + OTHER }), " other"),
        el("span", { class: "item" }, el("span", { class: "sw", style: "background:" + DRIVER }), " driver"),
        el("span", { class: "item" }, el("span", { class: "sw", style: "background:#d62728" }), " failed")));
    // lanes, grouped by Ray node
    const rows = []; // {lane} or {group}
    let last = null;
    t.lanes.forEach((lane, i) => {
      if (lane.group !== last) { rows.push({ group: lane.group }); last = lane.group; }
      rows.push({ lane: i, label: lane.label });
    });
    const byLane = t.lanes.map(() => []);
    for (let i = 0; i < n; i++) byLane[b.lane[i]].push(i);
    // attempts that overlap on one worker (a task blocked in ray.get while another runs, an
    // async actor) stack in sub-rows, so none hides another (past MAX_SUB they share the last)
    const MAX_SUB = 6, sub = new Int32Array(n), depth = t.lanes.map(() => 1);
    byLane.forEach((bars, lane) => {
      const ends = [];
      for (const i of bars) {  // in order of start
        let j = ends.findIndex((e) => e <= b.start[i]);
        if (j < 0) { if (ends.length < MAX_SUB) { j = ends.length; ends.push(0); } else j = MAX_SUB - 1; }
        sub[i] = j; ends[j] = Math.max(ends[j], b.start[i] + b.dur[i]);
      }
      depth[lane] = Math.max(1, ends.length);
    });
    let end = 0;
    for (let i = 0; i < n; i++) end = Math.max(end, b.start[i] + b.dur[i]);
    const LEFT = 190, TOP = 26, ROW = 20, BAR = 12;
    const laneY = {};
    let yAt = TOP;
    rows.forEach((r) => {
      r.y = yAt; r.h = r.lane === undefined ? ROW : 8 + depth[r.lane] * BAR;
      if (r.lane !== undefined) laneY[r.lane] = r.y;
      yAt += r.h;
    });
    const wrap = el("div", { class: "tlwrap" });
    const canvas = el("canvas", { id: "tl-canvas" });
    wrap.appendChild(canvas); root.appendChild(wrap);
    const tip = el("div", { class: "tip" });
    document.body.appendChild(tip);
    const info = el("div", { id: "tl-details", class: "card" }, el("span", { class: "muted" }, "Click a bar to see its task."));
    root.appendChild(info);
    let t0 = 0, t1 = Math.max(1, end) * 1.01, width = 800, selected = -1;
    tabs.timeline = { shown: () => draw() };
    const height = yAt + 8;
    function x(us) { return LEFT + (us - t0) / (t1 - t0) * (width - LEFT - 10); }
    function draw() {
      width = Math.max(600, wrap.clientWidth || 800);
      const dpr = window.devicePixelRatio || 1;
      canvas.width = width * dpr; canvas.height = Math.min(height, 30000) * dpr;
      canvas.style.width = width + "px"; canvas.style.height = Math.min(height, 30000) + "px";
      const c = canvas.getContext("2d");
      c.setTransform(dpr, 0, 0, dpr, 0, 0);
      c.fillStyle = "#fff"; c.fillRect(0, 0, width, height);
      c.font = "11px system-ui, sans-serif"; c.textBaseline = "middle";
      // rows
      rows.forEach((r, i) => {
        const y = r.y;
        if (r.group !== undefined) {
          c.fillStyle = "#eef2f6"; c.fillRect(0, y, width, r.h);
          c.fillStyle = "#1d2733"; c.font = "600 11px system-ui, sans-serif";
          c.fillText(r.group === "driver" ? "drivers" : r.group === "(unknown node)" ? r.group : "Ray node " + r.group.slice(0, 12), 8, y + r.h / 2);
          c.font = "11px system-ui, sans-serif";
        } else {
          if (i % 2) { c.fillStyle = "#fafbfc"; c.fillRect(LEFT, y, width - LEFT, r.h); }
          c.fillStyle = "#5f6b7a"; c.fillText(r.label.slice(0, 28), 18, y + ROW / 2);
        }
      });
      // axis
      const span = t1 - t0, steps = [1, 2, 5];
      let step = 1;
      for (let p = 1; ; p *= 10) { const f = steps.find((m) => span / (m * p) <= 10); if (f) { step = f * p; break; } if (p > 1e15) break; }
      c.strokeStyle = "#e3e7ec"; c.fillStyle = "#5f6b7a"; c.textAlign = "center";
      for (let v = Math.ceil(t0 / step) * step; v <= t1; v += step) {
        const px = x(v);
        c.beginPath(); c.moveTo(px, TOP); c.lineTo(px, height); c.stroke();
        c.fillText(v === 0 ? "0" : ms(v / 1000), px, TOP / 2);
      }
      c.textAlign = "left";
      // bars
      const pxPerUs = (width - LEFT - 10) / (t1 - t0);
      for (let i = 0; i < n; i++) {
        const s0 = b.start[i], e0 = s0 + b.dur[i];
        if (e0 < t0 || s0 > t1) continue;
        const y = laneY[b.lane[i]] + 4 + sub[i] * BAR;
        if (b.queued[i] >= 0 && (b.start[i] - b.queued[i]) * pxPerUs > 2) {
          c.strokeStyle = "#c9d1da"; c.beginPath(); c.moveTo(Math.max(LEFT, x(b.queued[i])), y + BAR / 2); c.lineTo(Math.max(LEFT, x(s0)), y + BAR / 2); c.stroke();
        }
        const xs = Math.max(LEFT, x(s0)), xe = Math.min(width, x(e0));
        c.fillStyle = b.status[i] === 1 ? "#d62728" : colour[b.node[i]];
        c.fillRect(xs, y, Math.max(1, xe - xs), BAR - 2);
        if (i === selected) { c.strokeStyle = "#1d2733"; c.lineWidth = 2; c.strokeRect(xs - 1, y - 1, Math.max(1, xe - xs) + 2, BAR); c.lineWidth = 1; }
      }
      // failure markers on top
      for (let i = 0; i < n; i++) {
        if (b.status[i] !== 1) continue;
        const px = x(b.start[i] + b.dur[i]);
        if (px < LEFT || px > width) continue;
        const y = laneY[b.lane[i]] + sub[i] * BAR;
        c.fillStyle = "#d62728"; c.beginPath(); c.moveTo(px - 5, y); c.lineTo(px + 5, y); c.lineTo(px, y + 6); c.fill();
      }
      c.fillStyle = "#fff"; c.fillRect(0, 0, LEFT - 14, TOP);
    }
    function hit(ev) {
      const r = canvas.getBoundingClientRect();
      const px = ev.clientX - r.left, py = ev.clientY - r.top;
      const row = rows.find((r) => r.y <= py && py < r.y + r.h);
      if (!row || row.lane === undefined || px < LEFT) return -1;
      const level = Math.max(0, Math.min(depth[row.lane] - 1, Math.floor((py - row.y - 4) / BAR)));
      const us = t0 + (px - LEFT) / (width - LEFT - 10) * (t1 - t0), slack = 3 * (t1 - t0) / (width - LEFT);
      let best = -1;
      for (const i of byLane[row.lane]) if (sub[i] === level && b.start[i] - slack <= us && us <= b.start[i] + b.dur[i] + slack) { if (best < 0 || b.dur[i] < b.dur[best]) best = i; }
      return best;
    }
    function barText(i) { return nodeName(b.node[i]) + " · " + ms(b.dur[i] / 1000) + (b.status[i] === 1 ? " · FAILED" : ""); }
    let drag = null;
    canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = canvas.getBoundingClientRect(), px = ev.clientX - r.left;
      if (px < LEFT) return;
      const at = t0 + (px - LEFT) / (width - LEFT - 10) * (t1 - t0), f = Math.exp(ev.deltaY * 0.0015);
      const span = Math.max(10, (t1 - t0) * f);
      t0 = at - (at - t0) * span / (t1 - t0); t1 = t0 + span; draw();
    }, { passive: false });
    canvas.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, t0: t0, t1: t1, moved: false }; });
    window.addEventListener("pointermove", (ev) => {
      if (drag) {
        const dx = ev.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) { const d = dx / (width - LEFT - 10) * (drag.t1 - drag.t0); t0 = drag.t0 - d; t1 = drag.t1 - d; draw(); }
        return;
      }
      if (ev.target !== canvas) { tip.style.display = "none"; return; }
      const i = hit(ev);
      if (i < 0) { tip.style.display = "none"; return; }
      tip.textContent = barText(i); tip.style.display = "block"; tip.style.left = ev.clientX + 12 + "px"; tip.style.top = ev.clientY + 12 + "px";
    });
    window.addEventListener("pointerup", (ev) => {
      if (drag && !drag.moved && ev.target === canvas) { const i = hit(ev); if (i >= 0) select(i); }
      drag = null;
    });
    canvas.addEventListener("dblclick", () => { t0 = 0; t1 = Math.max(1, end) * 1.01; draw(); });
    function select(i) {
      selected = i; draw();
      const key = b.task[i] + ":" + b.attempt[i], err = ERRORS[key];
      const lane = t.lanes[b.lane[i]];
      info.replaceChildren(el("h3", null, b.node[i] >= 0 ? nodeLink(DATA.nodeIds[b.node[i]]) : "(unknown node)"),
        kvTable([["task", b.task[i]], ["attempt", String(b.attempt[i])], ["status", ["FINISHED", "FAILED", "UNKNOWN"][b.status[i]]],
          ["where", (lane.group === "driver" ? "" : "Ray node " + lane.group.slice(0, 12) + " · ") + lane.label],
          ["started", "+" + ms(b.start[i] / 1000)], ["execution", ms(b.dur[i] / 1000)],
          ["queued before", b.queued[i] >= 0 ? ms((b.start[i] - b.queued[i]) / 1000) : "–"]]),
        err ? [el("div", { class: "bad", style: "margin-top:6px" }, err[0]), el("pre", { class: "trace" }, err[1])] : null);
    }
    draw();
  }

  // ---------- sortable tables ----------
  const MAX_ROWS = 1000;
  function sortable(id, title, columns, rows, onRow) {
    const root = document.getElementById("tables");
    const cardEl = el("div", { class: "card tablecard" }, el("h2", null, title + " (" + int(rows.length) + ")"));
    const filter = el("input", { type: "search", placeholder: "filter", "aria-label": "filter " + title });
    const note = el("span", { class: "small muted" });
    add(cardEl, el("div", { class: "tabletools" }, filter, note));
    const table = el("table", { class: "sortable", id: id });
    const thead = el("thead", null, el("tr", null, columns.map((c) => el("th", { class: c.num ? "num" : null }, c.title))));
    const tbody = el("tbody");
    table.appendChild(thead); table.appendChild(tbody); cardEl.appendChild(table); root.appendChild(cardEl);
    let key = -1, dir = 1;
    const texts = rows.map((r) => columns.filter((c) => !c.num).map((c) => String(c.value(r))).join(" ").toLowerCase());
    function fill() {
      const q = filter.value.trim().toLowerCase();
      let order = rows.map((r, i) => i).filter((i) => !q || texts[i].indexOf(q) >= 0);
      if (key >= 0) {
        const c = columns[key];
        order.sort((a, b) => {
          const va = c.value(rows[a]), vb = c.value(rows[b]);
          const na = va === null || va === undefined, nb = vb === null || vb === undefined;
          if (na || nb) return na === nb ? a - b : na ? 1 : -1;
          return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a - b;
        });
      }
      const shown = order.slice(0, MAX_ROWS);
      tbody.replaceChildren.apply(tbody, shown.map((i) => {
        const tr = el("tr", null, columns.map((c) => el("td", { class: c.num ? "num" : c.cls || null }, c.show ? c.show(rows[i]) : fmtCell(c.value(rows[i])))));
        if (onRow) onRow(tr, rows[i]);
        return tr;
      }));
      note.textContent = !rows.length ? "none in this capture" : (order.length > MAX_ROWS ? "showing " + MAX_ROWS + " of " + int(order.length) + " rows (sort or filter to see others)" : q ? int(order.length) + " rows match" : "");
    }
    function fmtCell(v) { return v === null || v === undefined ? "–" : typeof v === "number" ? int(v) : String(v); }
    thead.querySelectorAll("th").forEach((th, i) => th.addEventListener("click", () => {
      dir = key === i ? -dir : columns[i].num ? -1 : 1; key = i;
      thead.querySelectorAll("th").forEach((h, j) => { h.classList.toggle("asc", j === key && dir > 0); h.classList.toggle("desc", j === key && dir < 0); });
      fill();
    }));
    filter.addEventListener("input", fill);
    fill();
  }
  function tables() {
    const ex = (r, k) => (r.stats.exec_ms ? r.stats.exec_ms[k] : null);
    const nodeCol = (title, get) => ({ title: title, value: (r) => label(get(r)), show: (r) => nodeLink(get(r)) });
    sortable("nodes-table", "Nodes", [
      nodeCol("node", (r) => r.id), { title: "kind", value: (r) => r.kind },
      { title: "calls", num: true, value: (r) => r.raw.calls }, { title: "failed", num: true, value: (r) => r.raw.failures },
      { title: "retries", num: true, value: (r) => r.raw.stats.retries },
      { title: "exec p50", num: true, value: (r) => ex(r.raw, "p50"), show: (r) => ms(ex(r.raw, "p50")) },
      { title: "exec p95", num: true, value: (r) => ex(r.raw, "p95"), show: (r) => ms(ex(r.raw, "p95")) },
      { title: "exec max", num: true, value: (r) => ex(r.raw, "max"), show: (r) => ms(ex(r.raw, "max")) },
      { title: "exec total", num: true, value: (r) => ex(r.raw, "sum"), show: (r) => ms(ex(r.raw, "sum")) },
      { title: "share", num: true, value: (r) => r.share, show: (r) => pct(r.share) },
      { title: "queue p95", num: true, value: (r) => (r.raw.stats.queue_ms ? r.raw.stats.queue_ms.p95 : null), show: (r) => ms(r.raw.stats.queue_ms ? r.raw.stats.queue_ms.p95 : null) },
    ], nodeList);
    sortable("calls-table", "Call flows", [
      nodeCol("caller", (r) => r.source), nodeCol("callee", (r) => r.target),
      { title: "calls", num: true, value: (r) => r.count }, { title: "per s", num: true, value: (r) => r.per_s, show: (r) => (r.per_s === null ? "–" : g3(r.per_s)) },
      { title: "exec p50", num: true, value: (r) => ex(r, "p50"), show: (r) => ms(ex(r, "p50")) },
      { title: "exec p95", num: true, value: (r) => ex(r, "p95"), show: (r) => ms(ex(r, "p95")) },
      { title: "failed", num: true, value: (r) => r.stats.failures },
    ], doc.callFlows);
    sortable("data-table", "Data flows", [
      nodeCol("source", (r) => r.source), nodeCol("target", (r) => r.target),
      { title: "transfers", num: true, value: (r) => r.count }, { title: "bytes", num: true, value: (r) => r.bytes, show: (r) => bytes(r.bytes) },
      { title: "unsized", num: true, value: (r) => r.unsized }, { title: "speed", num: true, value: (r) => r.bytes_per_s, show: (r) => r.speed },
      { title: "latency p95", num: true, value: (r) => (r.latency_ms ? r.latency_ms.p95 : null), show: (r) => ms(r.latency_ms ? r.latency_ms.p95 : null) },
    ], doc.dataFlows);
    sortable("failures-table", "Failures", [
      { title: "kind", value: (r) => r.kind }, nodeCol("node", (r) => r.node), { title: "error", value: (r) => r.error_type, cls: "bad" },
      { title: "message", value: (r) => r.message, cls: "wrap" }, { title: "task", value: (r) => r.taskId, cls: "mono small" },
      { title: "attempt", num: true, value: (r) => r.attempt }, { title: "time", value: (r) => r.time_s, show: (r) => iso(r.time_s === null ? null : r.time_s * 1000) },
      { title: "ran on", value: (r) => (r.taskId ? TL.where(r.taskId, r.attempt) : "") || null, cls: "small" },
    ], doc.failures, (tr, r) => {
      if (!ERRORS[r.taskId + ":" + r.attempt]) return;
      const cell = tr.children[3];
      cell.appendChild(el("details", null, el("summary", { class: "small link" }, "traceback"), el("pre", { class: "trace" }, ERRORS[r.taskId + ":" + r.attempt][1])));
    });
  }

  // "/" searches the graph view on show (as in many viewers); Escape leaves the search
  document.addEventListener("keydown", (ev) => {
    const open = document.querySelector("section.graphtab.on input[type=search]");
    if (ev.key === "/" && open && document.activeElement !== open) { ev.preventDefault(); open.focus(); }
    else if (ev.key === "Escape" && open && document.activeElement === open) open.blur();
  });

  overview();
  GraphView("call", DATA.views.call, doc.callFlows);
  GraphView("data", DATA.views.data, doc.dataFlows);
  timelineView();
  tables();
  document.body.setAttribute("data-ready", "1");
})();
