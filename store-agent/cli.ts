import cliProgress from "cli-progress";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { bindLocation, LocationMismatchError } from "./agent-state.ts";
import { openAgentDatabase } from "./db/client.ts";
import { EdgeClient } from "./edge-client.ts";
import { adminCommand, adminUsage } from "./cli-admin.ts";
import { AgentConfig, ConfigError, DataDirConfig, maskKey, parseConfig, rawSettings, settings, storeKeyFileEnv, type RawSettings, type SettingName } from "./env.ts";
import { databaseFile, startAgent } from "./main.ts";
import { Outbox } from "./outbox.ts";
import type { AgentStatus } from "../shared/schemas/store-agent.ts";
import { PushRefusedError, Replayer } from "./replayer.ts";
import { readAgentStatus } from "./status.ts";

const usage = `shelfsync-agent: the Shelfsync store agent

Usage: shelfsync-agent <command> [flags]

Commands:
  start    run the agent: the POS API, the replayer and the feed puller
  status   the agent's status, read from its database (whether it runs or not)
  drain    push the backlog to the edge now, with a progress bar; exits 0 once nothing is pending
  config   the configuration the agent would run with (the key masked)
${adminUsage}

Flags (each also read from the environment; a flag wins):
${Object.values(settings)
  .map((s) => `  ${(s.flag === null ? "(environment only)" : `--${s.flag} VALUE`).padEnd(24)} ${s.env.padEnd(26)} ${s.help}`)
  .join("\n")}
  ${"(environment only)".padEnd(24)} ${storeKeyFileEnv.padEnd(26)} a file holding the store key (read when SHELFSYNC_STORE_KEY is unset)
  --name NAME, --id ID     terminals pair, managers set
  --json                   status, config, terminals, managers: print JSON
  --timeout SECONDS        drain: give up after this long (exit 1)
  -h, --help               this text

Exit codes: 0 done, 1 failed (edge refused, timeout, no database), 2 bad usage or configuration.
`;

const flagOptions = Object.fromEntries(Object.values(settings).flatMap((s) => (s.flag === null ? [] : [[s.flag, { type: "string" as const }]])));

async function main(argv: string[]): Promise<number> {
  if (argv.some((arg) => arg === "--store-key" || arg.startsWith("--store-key="))) {
    process.stderr.write(`The store key is never a flag (a command line is visible to every user of the machine): set SHELFSYNC_STORE_KEY, or ${storeKeyFileEnv} to a file holding it.\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...flagOptions,
      json: { type: "boolean" },
      timeout: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || command === "help") {
    process.stdout.write(usage);
    return 0;
  }
  const flags: RawSettings = {};
  for (const [name, setting] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const value = setting.flag === null ? undefined : (values as Record<string, unknown>)[setting.flag];
    if (typeof value === "string") flags[name] = value;
  }
  if (command === "terminals" || command === "managers") {
    return adminCommand(positionals, { name: values.name, id: values.id, json: values.json === true }, rawSettings(flags));
  }
  if (!command || extra.length > 0) {
    process.stderr.write(usage);
    return 2;
  }
  const raw = rawSettings(flags);
  switch (command) {
    case "start":
      return start(raw);
    case "status":
      return status(raw, values.json === true);
    case "drain":
      return drain(raw, typeof values.timeout === "string" ? Number(values.timeout) : undefined);
    case "config":
      return config(flags, raw, values.json === true);
    default:
      process.stderr.write(`Unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 2;
  }
}

async function start(raw: RawSettings): Promise<number> {
  const agent = await startAgent(parseConfig(AgentConfig, raw));
  // Listeners stay on: a second signal (Ctrl-C in a terminal reaches the shim and this process) must not cut the close short.
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => resolve());
  });
  await agent.close();
  return 0;
}

async function status(raw: RawSettings, asJson: boolean): Promise<number> {
  const { dataDir } = parseConfig(DataDirConfig, raw);
  const file = databaseFile(dataDir);
  if (!existsSync(file)) {
    process.stderr.write(`No agent database at ${file}: the agent has not run with this data dir.\n`);
    return 1;
  }
  const store = await openAgentDatabase(file);
  try {
    const current = await readAgentStatus(store, new Outbox(store));
    process.stdout.write(asJson ? `${JSON.stringify(current, null, 2)}\n` : formatStatus(current, file));
    return 0;
  } finally {
    store.close();
  }
}

function ago(at: string | null, now = Date.now()): string {
  if (at === null) return "never";
  return `${at} (${formatSeconds((now - Date.parse(at)) / 1000)} ago)`;
}

function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function formatStatus(s: AgentStatus, file: string): string {
  const error = (e: AgentStatus["lastPushError"]) => (e ? `\n    last error   ${e.message}${e.code ? ` (${e.code})` : ""} at ${e.at}` : "");
  const backlog =
    s.backlog === 0 ? "0 transactions" : `${s.backlog} transactions, oldest #${s.oldestPendingSequence} recorded ${ago(s.oldestPendingAt)}`;
  return `Store agent for ${s.location ?? "(no location yet)"}: ${file}
  running        ${s.running ? "yes" : "no"}
  online         ${s.online === null ? "unknown (the agent is not running)" : s.online ? "yes" : "no"}
  backlog        ${backlog}
  last push      ${ago(s.lastSuccessfulPushAt)}${error(s.lastPushError)}
  last pull      ${ago(s.lastSuccessfulPullAt)}${error(s.lastPullError)}
  dead letters   ${s.deadLetters}
  sequence       ${s.lastSequence} recorded; the edge has all up to ${s.edgeHighWaterMark ?? "(not known yet)"}${s.edgeGaps.length ? `, missing ${s.edgeGaps.map((g) => `${g.from}-${g.to}`).join(", ")}` : ""}
`;
}

async function drain(raw: RawSettings, timeoutSeconds: number | undefined): Promise<number> {
  const cfg = parseConfig(AgentConfig, raw);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new ConfigError("--timeout: a number of seconds above 0");
  const store = await openAgentDatabase(databaseFile(cfg.dataDir));
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error("interrupted"));
  process.on("SIGINT", onSignal);
  const timer = timeoutSeconds === undefined ? undefined : setTimeout(() => stop.abort(new Error(`not drained after ${timeoutSeconds}s`)), timeoutSeconds * 1000);
  const bar = new cliProgress.SingleBar(
    { format: "Draining |{bar}| {value}/{total} {note}", noTTYOutput: true, notTTYSchedule: 2000, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  try {
    await bindLocation(store, cfg.location, Date.now());
    const outbox = new Outbox(store);
    const edge = new EdgeClient({ edgeUrl: cfg.edgeUrl, storeKey: cfg.storeKey, location: cfg.location, timeoutMs: cfg.edgeTimeoutSeconds * 1000 });
    const replayer = new Replayer({ store, outbox, edge, backoff: { baseMs: 500, capMs: cfg.maxBackoffSeconds * 1000 } });
    const initial = (await outbox.backlog()).size;
    bar.start(initial, 0, { note: "" });
    let settled = 0;
    await replayer.drain({
      signal: stop.signal,
      onProgress: (p) => {
        settled = p.settled;
        bar.setTotal(Math.max(initial, p.settled + p.remaining));
        bar.update(p.settled, { note: p.waiting ? `| waiting ${formatSeconds(p.waiting.delayMs / 1000)}: ${p.waiting.reason}` : "" });
      },
    });
    bar.stop();
    const deadLetters = await outbox.deadLetterCount();
    process.stdout.write(`Backlog empty: ${settled} transactions settled. Dead letters: ${deadLetters}.\n`);
    return 0;
  } catch (error) {
    bar.stop();
    if (error instanceof PushRefusedError) {
      process.stderr.write(`${error.message}\nThe transactions stay in the outbox.\n`);
      return 1;
    }
    if (stop.signal.aborted) {
      process.stderr.write(`Stopped: ${(stop.signal.reason as Error).message}. The remaining transactions stay in the outbox.\n`);
      return 1;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    store.close();
  }
}

/** A setting's value as `config` prints it; an optional one left unset is "(not set)". */
const shown = (value: unknown): string => (value === undefined ? "(not set)" : String(value));

function config(flags: RawSettings, raw: RawSettings, asJson: boolean): number {
  let effective: AgentConfig | null = null;
  let problem: string | null = null;
  try {
    effective = parseConfig(AgentConfig, raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problem = error.message;
  }
  const rows = (Object.keys(settings) as SettingName[]).map((name) => {
    const source = flags[name] ? "flag" : raw[name] ? "environment" : "default";
    const field = AgentConfig.shape[name].safeParse(raw[name]);
    const value = shown(effective ? effective[name] : field.success ? field.data : raw[name]);
    return { name, value: name === "storeKey" && value !== "(not set)" ? maskKey(value) : value, source, flag: settings[name].flag === null ? "(environment)" : `--${settings[name].flag}`, env: settings[name].env };
  });
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ valid: problem === null, settings: rows }, null, 2)}\n`);
  } else {
    const from = (r: (typeof rows)[number]) => (r.value === "(not set)" ? "" : `from ${r.source === "environment" ? r.env : r.source}`);
    process.stdout.write(`${rows.map((r) => `  ${r.flag.padEnd(16)} ${r.value.padEnd(44)} ${from(r)}`.trimEnd()).join("\n")}\n`);
  }
  if (problem === null) return 0;
  process.stderr.write(`${problem}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usageError = error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
    if (error instanceof ConfigError || error instanceof LocationMismatchError || usageError) {
      process.stderr.write(`${error.message}\nRun shelfsync-agent --help for the flags.\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
