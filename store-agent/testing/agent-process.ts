import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

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
