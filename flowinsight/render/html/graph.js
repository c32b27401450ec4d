// The call graph and the data-flow graph: shapes laid out by dot; pan, zoom, search, selection.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

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
