// The overview: the run, coverage, failures, data flows, critical path, slowest nodes.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

// ---------- overview ----------
function card(title, wide) { return el("div", { class: "card" + (wide ? " wide" : "") }, el("h2", null, title)); }
function figure(v, k, bad) { return el("div", { class: "figure" + (bad ? " bad" : "") }, el("div", { class: "v" }, v), el("div", { class: "k" }, k)); }
// a failure's message in the overview, at most n characters: a driver's failure carries its
// log's tail (hundreds of lines), of which the first line says what it is and the last the
// exception; the whole is in the tooltip and the tables
function clip(text, n) {
  const lines = String(text || "").split("\n").map((l) => l.trim()).filter((l) => l);
  const short = lines.length > 1 ? lines[0] + " … " + lines[lines.length - 1] : lines.join("");
  return short.length > n ? short.slice(0, n - 1) + "…" : short;
}
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
  const missing = [["without_definition", "tasks without a definition (their submission and definition events are missing: a truncated or partial capture)"], ["undefined_tasks", "of them named by nothing: drawn as \"(undefined task)\" placeholders"], ["without_parent", "tasks whose caller was never recorded"],
    ["without_final_state", "attempts with no final state"], ["without_execution", "attempts with no execution record"],
    ["truncated_files", "truncated files"], ["skipped_lines", "skipped lines"]].filter((m) => c[m[0]]);
  if (missing.length) add(cov, el("ul", { class: "plain" }, missing.map((m) => el("li", null, el("b", { class: "count" }, int(c[m[0]])), " " + (c[m[0]] === 1 ? m[1].replace(/\b(tasks|attempts|files|lines)\b/, (w) => w.slice(0, -1)) : m[1])))));
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
    // each cause once, with how many failures followed from it (page.js rootOf), in time
    // order as the terminal and Markdown tell them (result.failure_groups)
    const roots = doc.failures.filter((f) => rootOf(f) === f).sort(byTime);
    if (roots.length < doc.failures.length) add(fail, el("div", { class: "small" }, doc.failures.length + " failures from " + roots.length + (roots.length === 1 ? " cause" : " causes")));
    add(fail, el("ul", { class: "plain" }, roots.slice(0, 6).map((f) => el("li", null, nodeLink(f.node), ": ", el("span", { class: "bad" }, f.error_type), " ", el("span", { class: "clipped", title: f.message }, clip(f.message, 200)), FOLLOWERS.get(f) ? el("span", { class: "small muted" }, " (" + causeText(f) + ")") : null))));
    if (roots.length > 6) add(fail, el("div", { class: "small muted" }, (roots.length - 6) + " more causes in the failures table"));
  }
  doc.failureNotes.slice(0, 5).forEach((n) => add(fail, el("div", { class: "small note-line" }, n.label + ": ", el("span", { class: "clipped", title: n.message }, clip(n.message, 200)))));
  // ends that are not failures (a ray.kill, an actor out of scope, a restart asked for), said
  // apart from the failures and by category, as the terminal summary does (docs/failures.md)
  const notFailures = doc.ends || [];
  if (notFailures.length) {
    const cats = {};
    notFailures.forEach((f) => { const t = (cats[f.category] = cats[f.category] || {}); t[f.error_type] = (t[f.error_type] || 0) + 1; });
    add(fail, el("div", { id: "ends", class: "ends" }, el("div", { class: "small muted" }, "Not failures (" + int(notFailures.length) + "): ended as asked or as Ray does"),
      el("ul", { class: "plain small" }, Object.keys(cats).sort().map((c) => el("li", null, el("b", { class: "count" }, int(Object.values(cats[c]).reduce((a, b) => a + b, 0))), " " + c + ": ",
        Object.keys(cats[c]).sort().map((t) => t + " " + cats[c][t]).join(", "))))));
  }
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
      return el("tr", null, el("td", { class: "num muted" }, String(i + 1)), el("td", null, nodeLink(s.node), NODES[s.node] && NODES[s.node].raw.internal ? el("span", { class: "small muted" }, " (Ray's internals, not drawn)") : null),
        el("td", { class: "num" }, ms(s.exec_ms)),
        el("td", { style: "width:45%" }, el("div", { class: "bar" }, el("span", { style: "left:" + left.toFixed(2) + "%;width:" + width.toFixed(2) + "%" }))));
    }))));
  });
  grid.appendChild(crit);

  libraries(grid);

  const work = nodeList.filter((n) => n.kind !== "driver" && !n.raw.internal && n.raw.stats.exec_ms);  // Ray's internals aside
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

// ---------- Ray libraries: Tune trial actors, Serve deployments, Ray Data plans ----------
// What the JSON's `tune`, `serve` and `datasets` say, one table each, shown only where the run
// used the library. A `tune` row is one trial actor, not one trial (README: starts, restores).
const LIB_ROWS = 50;
function actorRef(id) { return NODES[id] ? nodeLink(id) : el("span", { class: "mono" }, id.slice(0, 12)); }
function numTable(id, cls, heads, rows, numeric) {
  return el("table", { id: id, class: cls }, el("thead", null, el("tr", null, heads.map((h, i) => el("th", { class: numeric.indexOf(i) >= 0 ? "num" : null }, h)))),
    el("tbody", null, rows.map((r) => el("tr", null, r.map((c, i) => el("td", { class: numeric.indexOf(i) >= 0 ? "num" : "wrap" }, c))))));
}
function more(n, what) { return n > LIB_ROWS ? el("div", { class: "small muted" }, int(n - LIB_ROWS) + " more " + what + " in the JSON") : null; }
function libraries(grid) {
  const tune = doc.tune || [], serve = doc.serve || [], sets = doc.datasets || [];
  if (tune.length) {
    const card = el("div", { class: "card wide", id: "tune" }, el("h2", null, "Tune trial actors"));
    const starts = tune.reduce((a, t) => a + t.starts, 0), restores = tune.reduce((a, t) => a + t.restores, 0);
    add(card, el("div", { class: "small muted" }, int(tune.length) + " trial actors; Tune started trials on them " + int(starts) + " times, " + int(restores) + " of them from a checkpoint, so " + int(starts - restores) + " began from scratch. A row is one actor, not one trial: Tune starts a paused (PBT) or retried trial again, on a new actor or a reused one."));
    add(card, numTable("tune-trials", null, ["actor", "trainable", "starts", "restores", "train calls", "train total", "train p95", "failed", "state"],
      tune.slice(0, LIB_ROWS).map((t) => [actorRef(t.actorId), t.trainable, t.starts ? int(t.starts) : "0 (unused)", int(t.restores), int(t.train_calls),
        ms(sum(t.train_ms)), ms(t.train_ms && t.train_ms.p95), t.failures ? el("span", { class: "bad" }, int(t.failures)) : "0", t.state]), [2, 3, 4, 5, 6, 7]),
      more(tune.length, "trial actors"));
    grid.appendChild(card);
  }
  if (serve.length) {
    const card = el("div", { class: "card wide", id: "serve" }, el("h2", null, "Serve deployments"));
    add(card, el("div", { class: "small muted" }, "requests: its replicas' handle_request calls, with the tries a full replica rejected; cancelled: those tries, which Serve's router sends again (not failures), left out of the request times."));
    add(card, numTable("serve-deployments", null, ["deployment", "replicas", "requests", "cancelled", "request p50", "request p95", "failed", "calls to"],
      serve.slice(0, LIB_ROWS).map((d) => [d.app + " / " + d.name, int(d.replicas.length) + (d.states.length ? " (" + d.states.join(", ") + ")" : ""), int(d.requests), int(d.cancelled),
        ms(d.request_ms && d.request_ms.p50), ms(d.request_ms && d.request_ms.p95), d.failures ? el("span", { class: "bad" }, int(d.failures)) : "0",
        d.calls_to.length ? d.calls_to.map((c) => c[0] + " " + int(c[1]) + "×").join(", ") : "–"]), [1, 2, 3, 4, 5, 6]),
      more(serve.length, "deployments"));
    grid.appendChild(card);
  }
  if (sets.length) {
    // the executions of one dataset (Ray runs it again, under a new id, each time it is
    // consumed: an epoch) are one table, their figures added up (DATA.plans: the pictures' groups)
    const plans = DATA.plans || sets.map((_, i) => [i]);
    const card = el("div", { class: "card wide", id: "datasets" }, el("h2", null, "Ray Data plans"));
    add(card, el("div", { class: "small muted" }, int(sets.length) + " dataset" + (sets.length === 1 ? "" : "s") +
      (plans.length < sets.length ? " (" + int(plans.length) + " plan" + (plans.length === 1 ? "" : "s") + ", a dataset run again under a new id each time it is consumed)" : "") +
      ": each operator in order, with its tasks, their execution time added up and the bytes it put out."));
    plans.slice(0, LIB_ROWS).forEach((group) => {
      const runs = group.map((i) => sets[i]), d = runs[0];
      const wall = runs.reduce((a, r) => a + (r.start_s !== null && r.end_s !== null ? (r.end_s - r.start_s) * 1000 : 0), 0);
      const states = {};
      runs.forEach((r) => { states[r.state] = (states[r.state] || 0) + 1; });
      const said = Object.keys(states).sort().map((s) => runs.length > 1 ? int(states[s]) + " " + s : s).join(", ");
      add(card, el("h4", { class: "wrap" }, d.id + (runs.length > 1 ? " and " + int(runs.length - 1) + " later execution" + (runs.length > 2 ? "s" : "") + " of its plan" : "") +
        " · " + said + (wall ? " · " + ms(wall) + (runs.length > 1 ? " in all" : "") : "")));
      add(card, numTable(null, "ops", ["operator", "tasks", "attempts", "execution total", "bytes out", "failed", "state"],
        d.operators.map((o, at) => {
          const ops = runs.map((r) => r.operators[at]);
          const total = (f) => ops.reduce((a, x) => a + f(x), 0);
          const out = ops.every((x) => x.bytes_out !== null) ? bytes(total((x) => x.bytes_out)) : "–";
          const failed = total((x) => x.failures);
          const execs = ops.map((x) => sum(x.exec_ms)).filter((v) => v !== null);
          const issues = [...new Set(ops.flatMap((x) => x.issues))];
          const opStates = [...new Set(ops.map((x) => x.state))].sort().join(", ");
          return [o.name + (issues.length ? " ⚠ " + issues.join("; ") : ""), int(total((x) => x.tasks)), int(total((x) => x.attempts)),
            ms(execs.length ? execs.reduce((a, v) => a + v, 0) : null), out, failed ? el("span", { class: "bad" }, int(failed)) : "0", opStates];
        }), [1, 2, 3, 4, 5]));
    });
    add(card, more(plans.length, "plans"));
    grid.appendChild(card);
  }
}
