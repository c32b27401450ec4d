// The timeline: a lane per worker, a bar per task attempt, on a canvas.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

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
    if (lane.group !== last) { rows.push({ group: lane.group, ip: lane.ip }); last = lane.group; }
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
        c.fillText(r.group === "driver" ? "drivers" : r.group === "(unknown node)" ? r.group : rayNode(r), 8, y + r.h / 2);
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
      if (b.status[i] >= 3) {  // still running when the capture (3) or its job (4) ended: open at that end
        c.fillStyle = "#1d2733"; c.beginPath(); c.moveTo(xe, y); c.lineTo(xe + 5, y + (BAR - 2) / 2); c.lineTo(xe, y + BAR - 2); c.fill();
      }
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
  const OPEN = ["", "", "", " · still running when the capture ended", " · running when its job ended"];
  function barText(i) { return nodeName(b.node[i]) + " · " + ms(b.dur[i] / 1000) + (b.status[i] === 1 ? " · FAILED" : OPEN[b.status[i]] || ""); }
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
      kvTable([["task", b.task[i]], ["attempt", String(b.attempt[i])], ["status", ["FINISHED", "FAILED", "UNKNOWN", "running when the capture ended", "running when its job ended"][b.status[i]]],
        ["where", (lane.group === "driver" ? "" : rayNode(lane) + " · ") + lane.label],
        ["started", "+" + ms(b.start[i] / 1000)], ["execution", ms(b.dur[i] / 1000)],
        ["queued before", b.queued[i] >= 0 ? ms((b.start[i] - b.queued[i]) / 1000) : "–"]]),
      err ? [el("div", { class: "bad", style: "margin-top:6px" }, err[0]), el("pre", { class: "trace" }, err[1])] : null);
  }
  draw();
}
