// Keys, and drawing every view.
// One of the report's scripts: flowinsight/render/html joins them, in the order of its SCRIPTS,
// into one function, so they share its names. Every string from the data goes into the page as
// text (textContent, setAttribute), never as markup.

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
