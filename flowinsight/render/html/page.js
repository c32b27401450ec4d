// The data, small helpers, the header and tabs, node/edge/failure details, colours.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

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
// one cause, one story (docs/failures.md): a failure's `cause` is the `key` of the recorded
// failure that explains it; ROOT_OF follows causes to the first one the document holds (a view
// may have left the cause out: then the failure is its own), FOLLOWERS counts what each explains
const FAILURE_BY_KEY = {};
doc.failures.forEach((f) => { if (f.key) FAILURE_BY_KEY[f.key] = f; });
function rootOf(f) {
  const seen = new Set([f.key]);
  let top = f;
  while (top.cause && FAILURE_BY_KEY[top.cause]) {
    if (seen.has(top.cause)) return f;
    top = FAILURE_BY_KEY[top.cause];
    seen.add(top.key);
  }
  return top;
}
const FOLLOWERS = new Map();
doc.failures.forEach((f) => { const r = rootOf(f); if (r !== f) FOLLOWERS.set(r, (FOLLOWERS.get(r) || 0) + 1); });
// failures in time order, then by node and task (result.failure_groups' order)
function byTime(a, b) {
  return (a.time_s || 0) - (b.time_s || 0) || cmp(a.node, b.node) || cmp(a.taskId, b.taskId);
}
function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
function causeText(f) {
  const r = rootOf(f);
  if (r !== f) return "follows from " + label(r.node) + ": " + (r.error_type || r.kind);
  const n = FOLLOWERS.get(f) || 0;
  return n ? n + " more followed from it" : "";
}
const ERRORS = DATA.timeline.errors || {};

// ---------- the header, warnings and tabs ----------
const jobs = summary.jobs;
const headline = document.getElementById("headline");
// one job by its id and script; several by their number and their scripts, each once (the
// jobs table lists them all): a line per job would push the tabs out of the header
const scripts = jobs.map((j) => shortEntry(j.entrypoint || "")).filter((e, i, all) => e && all.indexOf(e) === i);
headline.textContent = jobs.length === 1
  ? "job " + jobs[0].id + (jobs[0].entrypoint ? " · " + shortEntry(jobs[0].entrypoint) : "")
  : jobs.length ? int(jobs.length) + " jobs" + (scripts.length ? " · " + scripts.join(", ") : "") : "no job recorded";
headline.title = clean(jobs.map((j) => "job " + j.id + (j.entrypoint ? " · " + j.entrypoint : "")).join("\n"));
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
  const extra = Object.keys(f).filter((k) => ["kind", "node", "taskId", "attempt", "error_type", "message", "time_s", "callSite", "key", "cause"].indexOf(k) < 0 && f[k] !== null && f[k] !== "");
  const why = causeText(f);
  return el("div", { class: "failure" },
    el("div", null, el("b", { class: "bad" }, f.error_type || f.kind), " ", f.message),
    why ? el("div", { class: "small" }, why) : null,
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
  // what a Tune trial actor or a Serve replica did for its library (the JSON's tune, serve)
  const trial = (doc.tune || []).find((t) => t.actorId === id);
  if (trial) rows.push(["Tune trial actor of " + trial.trainable, "starts " + int(trial.starts) + (trial.starts ? "" : " (unused)") + " · restores " + int(trial.restores) + " · train calls " + int(trial.train_calls)]);
  const deployment = (doc.serve || []).find((d) => d.replicas.indexOf(r.actorId || id) >= 0);
  if (deployment) rows.push(["Serve replica of " + deployment.app + " / " + deployment.name, "requests " + int(deployment.requests) + " · cancelled " + int(deployment.cancelled) + " (the deployment's)"]);
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
const TIME_RANK = nodeList.filter((n) => n.kind !== "driver" && !n.raw.internal && execSum(n) > 0).sort((a, b) => execSum(b) - execSum(a) || (a.id < b.id ? -1 : 1)).slice(0, PALETTE.length).map((n) => n.id);
function timeColour(id) {
  if (DATA.kinds[id] === "driver") return DRIVER;
  const r = TIME_RANK.indexOf(id);
  return r >= 0 ? PALETTE[r] : OTHER;
}
// ---------- timeline data (also used by the overview) ----------
// a worker lane's Ray node: its IP where the capture has the node's events, and its id's start
function rayNode(lane) {
  const id = lane.group === "(unknown node)" ? lane.group : lane.group.slice(0, 12);
  return lane.ip ? "Ray node " + lane.ip + " (" + id + ")" : "Ray node " + id;
}

const TL = (function () {
  const t = DATA.timeline, b = t.bars, n = b.task.length;
  const firstStart = {}, bar = {};
  for (let i = 0; i < n; i++) { if (!(b.task[i] in firstStart)) firstStart[b.task[i]] = b.start[i]; bar[b.task[i] + ":" + b.attempt[i]] = i; }
  // where an attempt ran: "pid N on Ray node X", from its bar
  function where(task, attempt) {
    const i = bar[task + ":" + attempt];
    if (i === undefined) return "";
    const lane = t.lanes[b.lane[i]];
    return lane.group === "driver" ? lane.label : lane.label + " on " + rayNode(lane);
  }
  return { data: t, n: n, startOf: (task) => (task && task in firstStart ? firstStart[task] : null), where: where };
})();
