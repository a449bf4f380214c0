// An independent MCP client on the official TypeScript SDK, for naftiko-gen's end-to-end tests.
//
//   node mcp_client.mjs [--header "Name: value"]... http://127.0.0.1:9090/mcp [TOOL [ARGS_JSON]]
//   node mcp_client.mjs --stdio COMMAND [ARG...] -- [TOOL [ARGS_JSON]]
//
// `--header` adds an HTTP header to every request (e.g. an Authorization header). A stdio server
// inherits this process's whole environment (the SDK would otherwise pass only HOME, PATH, ...).
// Lists the tools, calls TOOL with ARGS_JSON (default {}) when given, and prints one JSON document
// on stdout: {"tools": [...], "result": {...}} ("result" only when a tool was called).
// More TOOL ARGS_JSON pairs call more tools on the same connection, in order; "results" holds
// every result in that order ("result" is the first one).
// A tool result with isError is still a result; only a protocol or transport failure exits non-zero.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

function parseArguments(argv) {
  const headers = {};
  while (argv[0] === "--header") {
    const [name, ...value] = argv[1].split(":");
    headers[name.trim()] = value.join(":").trim();
    argv = argv.slice(2);
  }
  if (argv[0] !== "--stdio") {
    if (!argv[0]) throw new Error("usage: mcp_client.mjs [--header H]... URL | --stdio COMMAND [ARG...] -- [TOOL [ARGS_JSON]]");
    const transport = new StreamableHTTPClientTransport(new URL(argv[0]), { requestInit: { headers } });
    return { transport, call: argv.slice(1) };
  }
  const separator = argv.indexOf("--");
  const command = argv.slice(1, separator < 0 ? undefined : separator);
  if (command.length === 0) throw new Error("--stdio needs a command");
  const transport = new StdioClientTransport({
    command: command[0],
    args: command.slice(1),
    env: { ...process.env },
    stderr: "inherit",
  });
  return { transport, call: separator < 0 ? [] : argv.slice(separator + 1) };
}

const { transport, call } = parseArguments(process.argv.slice(2));
const client = new Client({ name: "naftiko-gen-e2e-node", version: "1.0.0" });
await client.connect(transport);
try {
  const output = { tools: (await client.listTools()).tools };
  const results = [];
  for (let i = 0; i < call.length; i += 2) {
    results.push(await client.callTool({ name: call[i], arguments: JSON.parse(call[i + 1] ?? "{}") }));
  }
  if (results.length > 0) Object.assign(output, { result: results[0], results });
  process.stdout.write(JSON.stringify(output) + "\n");
} finally {
  await client.close();
}
