import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
  /** The demo terminal's token: `Authorization: Bearer <token>` on every POS call. */
  terminalToken: string;
  stop(): Promise<void>;
}

/** Kept beside agent.db (mode 600), so that every `npm start` reuses one demo terminal instead of pairing another. */
const tokenFileName = "demo-terminal-token";

function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cliPath, ...args], (error, stdout, stderr) => (error ? reject(new Error(`shelfsync-agent ${args[0]} ${args[1]}: ${stderr || error.message}`)) : resolve(stdout)));
  });
}

/**
 * The demo terminal, paired as a store admin pairs one: a code from
 * `shelfsync-agent terminals pair`, exchanged at POST /pos/v1/terminals/pair.
 * A token from an earlier run is reused while the agent still accepts it.
 */
async function demoTerminalToken(url: string, dataDir: string): Promise<string> {
  const tokenFile = join(dataDir, tokenFileName);
  if (existsSync(tokenFile)) {
    const saved = readFileSync(tokenFile, "utf8").trim();
    const check = await fetch(`${url}/pos/v1/status`, { headers: { authorization: `Bearer ${saved}` } });
    await check.arrayBuffer();
    if (check.ok) return saved;
  }
  const { code } = JSON.parse(await cli(["terminals", "pair", "--name", "Demo till", "--json", "--data-dir", dataDir])) as { code: string };
  const paired = await fetch(`${url}/pos/v1/terminals/pair`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  const body = (await paired.json()) as { token?: string; detail?: string };
  if (paired.status !== 201 || !body.token) throw new Error(`pairing the demo terminal failed: ${paired.status} ${body.detail ?? ""}`);
  writeFileSync(tokenFile, `${body.token}\n`, { mode: 0o600 });
  return body.token;
}

/**
 * Runs `shelfsync-agent start` as a child process on the project's Node, with
 * the flags its launcher uses, listening on 127.0.0.1 only; resolves once it
 * logged "started", then pairs the demo terminal. The store key goes through
 * the environment, never argv.
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
    return { url, terminalToken: await demoTerminalToken(url, options.dataDir), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
