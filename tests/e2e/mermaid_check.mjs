// Parses Mermaid diagrams with the `mermaid` package itself, headless (jsdom stands in for the
// browser DOM mermaid's sanitizer needs), for naftiko-gen's tests.
//
//   node mermaid_check.mjs < diagrams.json
//
// stdin: a JSON array of diagram sources. stdout: one JSON array, per diagram either
// {"error": "..."} or {"type": "flowchart-v2", "nodes": {id: label}, "edges": [[from, to, label]]}
// with labels decoded as a browser would show them (Mermaid's `#name;` entities resolved).
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

function shown(text) {
  // mermaid keeps `#x;` entities encoded until it renders; decode them as the renderer does.
  const html = text.replace(/ﬂ°°/g, "&#").replace(/ﬂ°/g, "&").replace(/¶ß/g, ";");
  const area = document.createElement("textarea");
  area.innerHTML = html;
  return area.value;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    const { diagramType } = await mermaid.parse(source);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(source);
    const nodes = Object.fromEntries([...db.getVertices().values()].map((v) => [v.id, shown(v.text)]));
    const edges = db.getEdges().map((e) => [e.start, e.end, shown(e.text ?? "")]);
    results.push({ type: diagramType, nodes, edges });
  } catch (error) {
    results.push({ error: String(error.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
