#!/usr/bin/env node
// The `shelfsync-agent` command. It may start on an older system Node (20),
// so it only finds the project's own Node (the `node` devDependency, 24) and
// runs store-agent/cli.ts on it, passing arguments, exit code and signals.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "cli.ts");

function projectNode() {
  try {
    const candidate = join(dirname(createRequire(import.meta.url).resolve("node/package.json")), "bin", "node");
    if (existsSync(candidate)) return candidate;
  } catch {
    // not installed as a package: fall through
  }
  const [major, minor] = process.versions.node.split(".").map(Number);
  // Type stripping is on by default from Node 22.18 and 23.6.
  if (major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18)) return process.execPath;
  return null;
}

const node = projectNode();
if (!node) {
  process.stderr.write(`shelfsync-agent needs Node 22.18 or later (this is ${process.version}); run \`npm install\` in the project to get its own Node.\n`);
  process.exit(1);
}

// A 2 MiB young generation: V8 sizes it from the machine's RAM otherwise, which
// measured 320 MiB resident and 20 ms p99 commit latency (scavenges) on a
// 24 GiB machine, against 140 MiB and 5 ms (docs/store-agent.md, Sizing).
const nodeFlags = ["--max-semi-space-size=2"];
const child = spawn(node, [...nodeFlags, cli, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  else process.exit(code ?? 1);
});
