// Load a flowinsight Chrome trace in the Chrome DevTools trace engine (@paulirish/trace_engine,
// the engine behind the DevTools Performance panel) and print what it recognised, as JSON:
//
//   node load_trace.mjs FILE.trace.json
//
// It runs the engine's own pipeline, `TraceModel.Model.createWithAllHandlers()` then
// `model.parse(traceEvents)`, exactly as the package's analyze-trace.mjs does, and reads the
// Renderer handler's per-thread entries: every complete ("X") and instant ("i") event the
// engine placed on a pid/tid track. For each slice it also says whether the engine fitted it
// into the thread's call tree (`inTree`; DevTools' flame chart draws what is in the tree and
// silently drops entries that start inside another and end after it).
//
// stdout: {"engine": version, "traceIsGeneric": bool, "bounds": {min, max}, "threads": [...],
//          "processes": [{pid, name}], "slices": [...], "instants": [...], "flows": n}
// Exit status 1 with a message on stderr if the file cannot be read or the engine throws.

import fs from 'node:fs';
import {createRequire} from 'node:module';

import * as Trace from '@paulirish/trace_engine';
import {polyfillDOMRect} from '@paulirish/trace_engine/analyze-trace.mjs';

function fail(message) {
  process.stderr.write(`load_trace: ${message}\n`);
  process.exit(1);
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    fail('usage: node load_trace.mjs FILE.trace.json');
  }
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
  // The JSON Object Format ({"traceEvents": [...]}) or the bare JSON Array Format.
  const traceEvents = Array.isArray(doc) ? doc : doc?.traceEvents;
  if (!Array.isArray(traceEvents)) {
    fail(`${file} has no traceEvents array`);
  }

  polyfillDOMRect();  // the engine assumes a browser; its own Node runner does the same
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(traceEvents);
  const parsed = model.parsedTrace();
  if (!parsed || !parsed.data) {
    fail('the engine returned no parsed trace');
  }
  const data = parsed.data;
  const entryToNode = data.Renderer.entryToNode;

  const threads = [];
  const slices = [];
  const instants = [];
  for (const [pid, proc] of data.Renderer.processes) {
    for (const [tid, thread] of proc.threads) {
      threads.push({pid, tid, name: thread.name, entries: thread.entries.length});
      for (const e of thread.entries) {
        if (Trace.Types.Events.isComplete(e)) {
          slices.push({
            name: e.name, cat: e.cat, ts: e.ts, dur: e.dur, pid: e.pid, tid: e.tid,
            task_id: e.args?.task_id ?? null, attempt: e.args?.attempt ?? null,
            status: e.args?.status ?? null, error: e.args?.error ?? null,
            inTree: entryToNode.has(e),
          });
        } else if (Trace.Types.Events.isInstant(e)) {
          instants.push({name: e.name, cat: e.cat, ts: e.ts, pid: e.pid, tid: e.tid});
        }
      }
    }
  }
  const version = createRequire(import.meta.url)('@paulirish/trace_engine/package.json').version;
  const out = {
    engine: version,
    traceIsGeneric: data.Meta.traceIsGeneric,
    bounds: {min: data.Meta.traceBounds.min, max: data.Meta.traceBounds.max},
    threads,
    // the process names the engine read (its Meta handler's process_name events)
    processes: [...data.Meta.processNames].map(([pid, e]) => ({pid, name: e.args?.name ?? null})),
    slices,
    instants,
    flows: data.Flows.flows.length,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(e => fail(`the trace engine threw: ${e?.stack ?? e}`));
