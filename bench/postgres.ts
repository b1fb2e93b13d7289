import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface LocalPostgres {
  /** A connection string for the `bench` superuser on 127.0.0.1. */
  url: string;
  version: string;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server Debian's packages put under /usr/lib/postgresql, if any. */
function serverBinaries(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, "bin") : null;
}

/** Installs Debian's `postgresql` package when it is missing and this process may (root with apt-get). */
function installServer(log: (line: string) => void): string | null {
  if (process.getuid?.() !== 0 || spawnSync("which", ["apt-get"]).status !== 0) return null;
  log("PostgreSQL is not installed: apt-get install postgresql …\n");
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", "postgresql"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
  if (!install()) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "ignore" });
    if (!install()) return null;
  }
  return serverBinaries();
}

/**
 * A throwaway PostgreSQL cluster on `port` (trust auth, loopback only) in a
 * temporary folder, removed on stop; the server's defaults otherwise (fsync and
 * synchronous_commit on: a commit is on disk before it is answered, as a
 * Durable Object's write is). Run as the `postgres` user when this process is
 * root, since PostgreSQL refuses root. Null, with the reason, when no server
 * can be found or installed.
 */
export async function startPostgres(port: number, log: (line: string) => void): Promise<LocalPostgres | { skipped: string }> {
  const bin = serverBinaries() ?? installServer(log);
  if (!bin) return { skipped: "no PostgreSQL server under /usr/lib/postgresql and it could not be installed (apt-get install postgresql needs root and Debian's packages)" };
  const asRoot = process.getuid?.() === 0;
  const dataDir = mkdtempSync(join(tmpdir(), "shelfsync-bench-pg-"));
  chmodSync(dataDir, 0o777);
  const as = (command: string, args: string[]) => (asRoot ? { command: "runuser", args: ["-u", "postgres", "--", command, ...args] } : { command, args });
  const init = as(join(bin, "initdb"), ["-D", join(dataDir, "data"), "-A", "trust", "-U", "bench", "--no-sync"]);
  const initialized = spawnSync(init.command, init.args, { encoding: "utf8" });
  if (initialized.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    return { skipped: `initdb failed: ${initialized.stderr.trim().split("\n").pop()}` };
  }
  const run = as(join(bin, "postgres"), ["-D", join(dataDir, "data"), "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]);
  const server: ChildProcess = spawn(run.command, run.args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const ready = join(bin, "pg_isready");
  for (let attempt = 0; ; attempt++) {
    if (spawnSync(ready, ["-h", "127.0.0.1", "-p", String(port)]).status === 0) break;
    if (attempt > 100 || server.exitCode !== null) {
      server.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      return { skipped: `PostgreSQL did not start on port ${port}` };
    }
    await sleep(100);
  }
  const version = spawnSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    url: `postgres://bench@127.0.0.1:${port}/postgres`,
    version,
    async stop() {
      const stopCommand = as(join(bin, "pg_ctl"), ["-D", join(dataDir, "data"), "stop", "-m", "fast"]);
      spawnSync(stopCommand.command, stopCommand.args, { stdio: "ignore" });
      await Promise.race([exited, sleep(10_000)]);
      if (server.exitCode === null) server.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
