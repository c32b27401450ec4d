// Checks Mermaid files with the real Mermaid: renders each in headless Chromium (puppeteer-core
// driving the system's chromium) or, when no Chromium is found or FLOWINSIGHT_MERMAID_ENGINE=parse,
// runs mermaid.parse() under jsdom. Prints one JSON object per file on stdout:
//   {"file", "engine", "ok", "error"} and, from Chromium, what was drawn: "nodes", "clusters",
//   "edges", "labels" (the text a reader sees), "svg_chars"
// Usage: node check_mermaid.mjs FILE...
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const files = process.argv.slice(2);

function findChromium() {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];
  return candidates.find((p) => p && existsSync(p));
}

// Mermaid answers an over-long text with this diagram instead of an error: treat it as one.
const TOO_LONG = "Maximum text size in diagram exceeded";

async function withChromium(executablePath) {
  const puppeteer = (await import("puppeteer-core")).default;
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    for (const file of files) {
      // A fresh page per file: Mermaid keeps state between renders in one page.
      const page = await browser.newPage();
      await page.setContent("<!doctype html><html><body></body></html>");
      await page.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
      const text = readFileSync(file, "utf8");
      const out = await page.evaluate(async (code, tooLong) => {
        // Default configuration on purpose: the limits a reader's Mermaid has.
        window.mermaid.initialize({ startOnLoad: false });
        try {
          const { svg } = await window.mermaid.render("g" + Date.now(), code);
          if (svg.includes(tooLong)) return { ok: false, error: tooLong };
          const holder = document.createElement("div");
          holder.innerHTML = svg;
          // The text a reader sees: node, subgraph and edge labels, entities decoded.
          const labels = [...holder.querySelectorAll(".nodeLabel, .edgeLabel")]
            .map((e) => e.textContent).filter((t) => t !== "");
          return {
            ok: true,
            nodes: holder.querySelectorAll("g.node").length,
            clusters: holder.querySelectorAll("g.cluster").length,
            edges: holder.querySelectorAll("path.flowchart-link").length,
            labels: [...new Set(labels)].sort(),
            svg_chars: svg.length,
          };
        } catch (err) {
          return { ok: false, error: String(err && err.message ? err.message : err) };
        }
      }, text, TOO_LONG);
      await page.close();
      console.log(JSON.stringify({ file, engine: "chromium", ...out }));
    }
  } finally {
    await browser.close();
  }
}

async function withParser() {
  const { JSDOM } = await import("jsdom");
  const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
  for (const key of ["window", "document", "navigator", "Element", "HTMLElement", "Node",
    "DOMParser", "SVGElement"]) {
    if (!(key in globalThis) || key === "window" || key === "document") {
      Object.defineProperty(globalThis, key, { value: dom.window[key] ?? dom.window,
        configurable: true, writable: true });
    }
  }
  const mermaid = (await import("mermaid")).default;
  mermaid.initialize({ startOnLoad: false });
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    let out;
    try {
      // parse() does not apply maxTextSize: check it here as render() would.
      if (text.length > 50000) throw new Error(TOO_LONG);
      const ok = await mermaid.parse(text);
      out = { ok: Boolean(ok) };
    } catch (err) {
      out = { ok: false, error: String(err && err.message ? err.message : err) };
    }
    console.log(JSON.stringify({ file, engine: "mermaid.parse", ...out }));
  }
}

const chromium = process.env.FLOWINSIGHT_MERMAID_ENGINE === "parse" ? undefined : findChromium();
await (chromium ? withChromium(chromium) : withParser());
