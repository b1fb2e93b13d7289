import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));

export interface LocalEdgeOptions {
  port: number;
  /** Folder where workerd keeps Durable Object state between runs. */
  persistTo: string;
  /** In-process Miniflare (scripts/miniflare-edge.ts): handed to workerd in its config, not on a command line. */
  platformKey?: string;
  /**
   * `wrangler dev` only: a .dev.vars-style file (mode 600) holding
   * PLATFORM_ADMIN_KEY and CONNECTION_CREDENTIALS_KEY. Secrets reach wrangler
   * by file, never on its command line, where any user of the machine can
   * read them (ps).
   */
  secretsFile?: string;
  /** wrangler's own log level; "none" keeps its per-request lines out of a benchmark. */
  logLevel?: "none" | "error" | "warn" | "info" | "log" | "debug";
  /** Where wrangler's output goes: inherited by `npm start`, discarded by benchmarks and tests. */
  output?: "inherit" | "ignore";
  vars?: Record<string, string>;
  /** Another wrangler config than the project's, e.g. the profiling Worker's. */
  config?: string;
  /** Miniflare only: open workerd's DevTools inspector on this port (CPU profiles). */
  inspectorPort?: number;
}

export interface LocalEdge {
  url: string;
  /** The wrangler process, when the edge runs as one. */
  process?: ChildProcess;
  /** Miniflare only: the bundled Worker as workerd runs it, to map profile samples to source files. */
  script?: string;
  stop(): Promise<void>;
}

/**
 * Runs the Worker and its Durable Objects in local workerd through
 * `wrangler dev`, and resolves once the edge answers /health.
 *
 * @example
 * const edge = await startLocalEdge({ port: 8787, persistTo: ".wrangler/state", secretsFile: ".dev.vars" });
 */
export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  if (!options.secretsFile) throw new Error("startLocalEdge needs a secretsFile: secrets never go on wrangler's command line");
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(options.port),
    "--persist-to", options.persistTo,
    "--env-file", options.secretsFile,
    "--log-level", options.logLevel ?? "info",
    "--show-interactive-dev-session=false",
  ];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
  if (options.config) args.push("--config", options.config);
  const child = spawn(wranglerBin, args, {
    cwd: projectRoot,
    stdio: ["ignore", options.output ?? "ignore", options.output ?? "ignore"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" },
    detached: true,
  });
  const url = `http://127.0.0.1:${options.port}`;
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`wrangler dev exited with code ${String(code)} before the edge was ready`);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, "exit");
    // wrangler starts workerd as its child: signal the whole process group.
    process.kill(-child.pid!, "SIGTERM");
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
  };
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForHealth(url, 60_000), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, stop };
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the edge at ${url} did not become healthy within ${timeoutMs} ms`);
}
