import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedDemo } from "./demo-seed.ts";
import { projectRoot, startLocalEdge } from "./local-edge.ts";

/**
 * `npm start`: the edge in local workerd with state persisted under
 * .wrangler/state, a demo tenant if there is none yet, and the URLs and keys.
 */
const port = Number(process.env.SHELFSYNC_EDGE_PORT ?? 8787);
const stateDir = join(projectRoot, ".wrangler", "state");
const devVars = join(projectRoot, ".dev.vars");

function platformKey(): string {
  if (!existsSync(devVars)) {
    writeFileSync(devVars, `PLATFORM_ADMIN_KEY=${randomBytes(24).toString("hex")}\n`, { mode: 0o600 });
  }
  const match = /^PLATFORM_ADMIN_KEY=(.+)$/m.exec(readFileSync(devVars, "utf8"));
  if (!match) throw new Error(`${devVars} has no PLATFORM_ADMIN_KEY line; see .dev.vars.example`);
  return match[1]!.trim();
}

const key = platformKey();
mkdirSync(stateDir, { recursive: true });
const edge = await startLocalEdge({ port, persistTo: stateDir, platformKey: key, output: "inherit", logLevel: "warn" });
const stop = async () => {
  await edge.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const keys = await seedDemo(edge.url, key, join(stateDir, "shelfsync-demo-keys.json"));
process.stdout.write(`
Shelfsync edge is running.

  API            ${edge.url}/v1
  API docs       ${edge.url}/v1/docs
  OpenAPI        ${edge.url}/v1/openapi.json
  State          ${stateDir}

  Platform key   ${key}   (from .dev.vars)
  Demo tenant    ${keys.tenant}
    admin        ${keys.admin}
    web channel  ${keys.web}
    amazon       ${keys.amazon}
    erp          ${keys.erp}
    readonly     ${keys.readonly}

Try:
  curl -s ${edge.url}/v1/inventory/TSHIRT-RED-M -H "Authorization: Bearer ${keys.readonly}"
  curl -s "${edge.url}/v1/availability/TSHIRT-RED-M?channel=web" -H "Authorization: Bearer ${keys.web}"

Ctrl-C stops it; state stays in ${stateDir}.
`);
