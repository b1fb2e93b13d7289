import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../scripts/local-edge.ts";

/**
 * A CPU profile of the isolate that runs the edge Worker and every Durable
 * Object, taken through workerd's DevTools inspector (the edge started with
 * an `inspectorPort`), and its self and inclusive times per source file of
 * the bundle and per function. Used by bench/cpu-profile.ts and by
 * bench/loyalty.ts (BENCH_PROFILE=1).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A DevTools protocol session with the isolate whose target title names the Worker. */
export async function inspect(inspectorPort: number, workerName: string) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((candidate) => candidate.title.includes(workerName));
  if (!target) throw new Error(`no inspector target for ${workerName} among ${targets.map((candidate) => candidate.title).join(", ")}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let lastId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.onmessage = (message) => {
    const reply = JSON.parse(String(message.data)) as { id?: number; result?: unknown };
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply.result);
  };
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = ++lastId;
      waiting.set(id, resolve as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => socket.close() };
}

/** Starts the profiler on the edge Worker's isolate; `stop` answers the profile. */
export async function startProfile(inspectorPort: number, samplingMicros: number, workerName = "shelfsync-edge") {
  const inspector = await inspect(inspectorPort, workerName);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: samplingMicros });
  await inspector.send("Profiler.start");
  return {
    async stop(): Promise<CpuProfile> {
      const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
      inspector.close();
      return profile;
    },
  };
}

/** Writes the profile under .wrangler/profiles for Chrome DevTools (Performance panel); answers its path. */
export function saveProfile(name: string, profile: CpuProfile): string {
  const outDir = join(projectRoot, ".wrangler", "profiles");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  writeFileSync(outFile, JSON.stringify(profile));
  return outFile;
}

/** The bundle's source file of each line: esbuild marks where each one starts with a `// path` comment. */
export function sourceFileOfLine(script: string): (line: number) => string {
  const starts: number[] = [];
  const files: string[] = [];
  script.split("\n").forEach((text, index) => {
    const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
    if (match) {
      starts.push(index + 1);
      files.push(match[1]!.replace(/^(\.\.\/)*node_modules\//, ""));
    }
  });
  return (line) => {
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (starts[middle]! <= line) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? "(bundle prelude)" : files[found]!;
  };
}

/**
 * Self time per file and per function, and inclusive time per function of
 * the bundle (a sample counts once for every distinct function on its stack),
 * in µs of sampled time.
 */
export function profileTimes(profile: CpuProfile, fileOf: (line: number) => string) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const fileOfFrame = (frame: CallFrame) => {
    const inBundle = frame.url.endsWith(".js") && !frame.url.startsWith("node:");
    // Frames without a script are the runtime's own: (program), (idle), (garbage collector), exec (SQLite), …
    return { inBundle, file: frame.url === "" ? frame.functionName || "(native)" : inBundle ? fileOf(frame.lineNumber + 1) : frame.url };
  };
  const nameOf = (frame: CallFrame) => {
    const { inBundle, file } = fileOfFrame(frame);
    return frame.url === "" ? file : `${frame.functionName || "(anonymous)"}  ${file}${inBundle ? ` (bundle line ${frame.lineNumber + 1})` : ""}`;
  };
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const micros = profile.timeDeltas[index + 1] ?? 0;
    const frame = nodes.get(nodeId)!.callFrame;
    const { file } = fileOfFrame(frame);
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
    byFunction.set(nameOf(frame), (byFunction.get(nameOf(frame)) ?? 0) + micros);
    const onStack = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parents.get(id)) {
      const callFrame = nodes.get(id)!.callFrame;
      if (fileOfFrame(callFrame).inBundle) onStack.add(nameOf(callFrame));
    }
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    total += micros;
  });
  const idle = byFile.get("(idle)") ?? 0;
  byFile.delete("(idle)");
  byFunction.delete("(idle)");
  return { byFile, byFunction, inclusive, total, idle };
}

/** The `top` largest of `totals`, in µs per unit of work and in % of the sampled time. */
export function printTop(title: string, totals: Map<string, number>, units: number, total: number, unit = "request", top = 15): void {
  process.stdout.write(`\n${title}\n`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${(micros / units).toFixed(0).padStart(6)} µs/${unit}  ${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}\n`);
  }
}
