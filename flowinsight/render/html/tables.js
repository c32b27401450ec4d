// Sortable, filterable tables of nodes, call flows, data flows and failures.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

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
    { title: "cause", value: (r) => causeText(r) || null, cls: "small wrap" },
  ], doc.failures, (tr, r) => {
    if (!ERRORS[r.taskId + ":" + r.attempt]) return;
    const cell = tr.children[3];
    cell.appendChild(el("details", null, el("summary", { class: "small link" }, "traceback"), el("pre", { class: "trace" }, ERRORS[r.taskId + ":" + r.attempt][1])));
  });
}
