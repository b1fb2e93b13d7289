import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const cliPath = fileURLToPath(new URL("../store-agent/cli.ts", import.meta.url));

export interface LocalAgentOptions {
  edgeUrl: string;
  storeKey: string;
  location: string;
  dataDir: string;
  port: number;
  /** Every log line of the agent (one JSON object a line) is appended here. */
  logFile: string;
}

export interface LocalAgent {
  /** The POS API's base URL, e.g. http://127.0.0.1:8788 */
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs `shelfsync-agent start` as a child process on the project's Node, with
 * the flags its launcher uses, listening on 127.0.0.1 only; resolves once it
 * logged "started". The store key goes through the environment, not argv.
 *
 * @example
 * const agent = await startLocalAgent({ edgeUrl, storeKey, location: "store-001", dataDir, port: 8788, logFile });
 */
export async function startLocalAgent(options: LocalAgentOptions): Promise<LocalAgent> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const args = [
    "--max-semi-space-size=2",
    cliPath,
    "start",
    "--edge-url", options.edgeUrl,
    "--location", options.location,
    "--data-dir", options.dataDir,
    "--port", String(options.port),
    "--host", "127.0.0.1",
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SHELFSYNC_STORE_KEY: options.storeKey } });
  let ready = false;
  let stopping: Promise<void> | null = null;
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    if (!ready) stderr += chunk.toString();
    log.write(chunk);
  });
  const exited = once(child, "exit");
  const started = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { event?: string; url?: string; level?: string };
        if (entry.event === "started") resolve(String(entry.url));
        if (entry.level === "error") process.stderr.write(`store agent: ${line}\n`);
      } catch {
        // not a log line
      }
    });
    void exited.then(([code]) => reject(new Error(`the store agent exited with code ${String(code)} before it started:\n${stderr}`)));
  });
  void exited.then(([code, signal]) => {
    if (ready && !stopping) process.stderr.write(`The store agent of ${options.location} exited (${String(code ?? signal)}); its log: ${options.logFile}\n`);
  });
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM: it stops taking requests, finishes the commit in progress and closes its file.
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    })());
  try {
    const url = await started;
    ready = true;
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
