import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { projectRoot } from "./local-edge.ts";
import { startMiniflareEdge } from "./miniflare-edge.ts";

/**
 * Writes the OpenAPI document as the Worker serves it at /v1/openapi.json, for the tools that run in
 * Node (Redocly's lint, openapi-typescript). The Worker runs in wrangler's Miniflare, as the
 * benchmarks host it, on a port the OS picks and an empty state folder.
 *
 * @example
 * node scripts/openapi-document.ts .shelfsync/openapi.json
 */
const output = resolve(projectRoot, process.argv[2] ?? ".shelfsync/openapi.json");

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

const stateDir = mkdtempSync(join(tmpdir(), "shelfsync-openapi-"));
try {
  const edge = await startMiniflareEdge({ port: await freePort(), persistTo: stateDir, platformKey: "openapi-document-not-a-secret", output: "ignore" });
  try {
    const response = await fetch(`${edge.url}/v1/openapi.json`);
    if (!response.ok) throw new Error(`GET /v1/openapi.json answered ${response.status}: ${await response.text()}`);
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, `${JSON.stringify(await response.json(), null, 2)}\n`);
  } finally {
    await edge.stop();
  }
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
