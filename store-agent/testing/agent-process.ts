import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { exchangePairingCode, type TerminalCredentials } from "./fixtures.ts";

export const cliPath = fileURLToPath(new URL("../cli.ts", import.meta.url));

export interface AgentProcess {
  child: ChildProcess;
  url: string;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/**
 * Runs `shelfsync-agent start` as a child process on this Node, and resolves
 * with its POS URL once it logged "started".
 */
export function spawnAgent(flags: Record<string, string>, options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<AgentProcess> {
  const { env = {}, nodeArgs = [] } = options;
  const args = [...nodeArgs, cliPath, "start", ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.event === "started") resolve({ child, url: String(entry.url), logs, exited });
      } catch {
        logs.push({ raw: line });
      }
    });
    void exited.then((code) => reject(new Error(`the agent exited with ${code} before it started: ${stderr}`)));
  });
}

/** Runs `shelfsync-agent <args>` on this Node and resolves with its exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? "");
  });
}

/** As a store admin does: `terminals pair --name NAME --json` against the data dir; returns the one-time code. */
export async function pairingCodeFromCli(dataDir: string, name: string): Promise<string> {
  const { code, stdout, stderr } = await runCli(["terminals", "pair", "--name", name, "--json", "--data-dir", dataDir]);
  if (code !== 0) throw new Error(`terminals pair exited ${code}: ${stderr}`);
  return String((JSON.parse(stdout) as { code: string }).code);
}

/** As a store admin does: `managers set --id ID --name NAME`, the PIN through the environment. */
export async function setManagerFromCli(dataDir: string, manager: { id: string; name: string; pin: string }): Promise<void> {
  const { code, stderr } = await runCli(["managers", "set", "--id", manager.id, "--name", manager.name, "--data-dir", dataDir], { SHELFSYNC_MANAGER_PIN: manager.pin });
  if (code !== 0) throw new Error(`managers set exited ${code}: ${stderr}`);
}

/** Flags that lift the per-terminal rate limit, for tests and benchmarks whose terminals sell far faster than a till. */
export const unlimitedTerminalFlags = { "terminal-rate": "100000", "terminal-burst": "100000" };

/** A terminal paired as in a store: a code from the CLI against `dataDir`, exchanged at the running agent. */
export async function pairTerminalViaCli(agentUrl: string, dataDir: string, name: string): Promise<TerminalCredentials> {
  return exchangePairingCode(agentUrl, await pairingCodeFromCli(dataDir, name));
}
