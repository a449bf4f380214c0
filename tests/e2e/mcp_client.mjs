// An independent MCP client on the official TypeScript SDK, for naftiko-gen's end-to-end tests.
//
//   node mcp_client.mjs http://127.0.0.1:9090/mcp [TOOL [ARGS_JSON]]
//   node mcp_client.mjs --stdio COMMAND [ARG...] -- [TOOL [ARGS_JSON]]
//
// Lists the tools, calls TOOL with ARGS_JSON (default {}) when given, and prints one JSON document
// on stdout: {"tools": [...], "result": {...}} ("result" only when a tool was called).
// A tool result with isError is still a result; only a protocol or transport failure exits non-zero.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

function parseArguments(argv) {
  if (argv[0] !== "--stdio") {
    if (!argv[0]) throw new Error("usage: mcp_client.mjs URL | --stdio COMMAND [ARG...] -- [TOOL [ARGS_JSON]]");
    return { transport: new StreamableHTTPClientTransport(new URL(argv[0])), call: argv.slice(1) };
  }
  const separator = argv.indexOf("--");
  const command = argv.slice(1, separator < 0 ? undefined : separator);
  if (command.length === 0) throw new Error("--stdio needs a command");
  const transport = new StdioClientTransport({ command: command[0], args: command.slice(1), stderr: "inherit" });
  return { transport, call: separator < 0 ? [] : argv.slice(separator + 1) };
}

const { transport, call } = parseArguments(process.argv.slice(2));
const [toolName, argumentsJson] = call;
const client = new Client({ name: "naftiko-gen-e2e-node", version: "1.0.0" });
await client.connect(transport);
try {
  const output = { tools: (await client.listTools()).tools };
  if (toolName) {
    output.result = await client.callTool({ name: toolName, arguments: JSON.parse(argumentsJson ?? "{}") });
  }
  process.stdout.write(JSON.stringify(output) + "\n");
} finally {
  await client.close();
}
