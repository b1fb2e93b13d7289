import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { bindLocation, clearHeartbeat, recordHeartbeat } from "./agent-state.ts";
import type { BackoffPolicy } from "../shared/backoff.ts";
import { systemAgentClock, type AgentClock } from "./clock.ts";
import { openAgentDatabase, type AgentDatabase } from "./db/client.ts";
import { CustomerLookup } from "./customer-lookup.ts";
import { EdgeClient } from "./edge-client.ts";
import type { AgentConfig } from "./env.ts";
import { FeedPuller } from "./feed-puller.ts";
import { HostAllowlist } from "./host-allowlist.ts";
import { jsonLogger, type Logger } from "./log.ts";
import { RedemptionDesk } from "./loyalty-allowance.ts";
import { Outbox } from "./outbox.ts";
import { createPosApi } from "./pos-api.ts";
import { HealthReporter } from "./health-reporter.ts";
import { Replayer } from "./replayer.ts";
import { heartbeatIntervalMs } from "./status.ts";

/** Rows the edge acknowledged are kept this long (a terminal's late retry still finds its receipt), then pruned. */
export const retainSentMs = 30 * 24 * 3600 * 1000;
const pruneEveryMs = 3600 * 1000;

export function databaseFile(dataDir: string): string {
  return join(dataDir, "agent.db");
}

/** Knobs for tests and benchmarks; the configuration covers everything an operator sets. */
export interface AgentOptions {
  log?: Logger;
  backoff?: BackoffPolicy;
  random?: () => number;
  edgeTimeoutMs?: number;
  idlePollMs?: number;
  batchSize?: number;
  maxBatchBytes?: number;
  /** Every time the agent reads and every wait (backoff, polls); a test passes one it moves by hand. */
  clock?: AgentClock;
}

export interface RunningAgent {
  /** The POS API's base URL, e.g. http://127.0.0.1:8790 */
  url: string;
  port: number;
  store: AgentDatabase;
  outbox: Outbox;
  replayer: Replayer;
  feedPuller: FeedPuller;
  healthReporter: HealthReporter;
  /** Stops taking requests, stops pushing and pulling, closes the database. */
  close(): Promise<void>;
}

/**
 * Starts a store agent: the database (migrated, bound to the location), the
 * POS API, the replayer and the feed puller.
 *
 * @example
 * const agent = await startAgent(parseConfig(AgentConfig, rawSettings({})));
 * process.on("SIGTERM", () => agent.close());
 */
export async function startAgent(config: AgentConfig, options: AgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? jsonLogger;
  const clock = options.clock ?? systemAgentClock;
  const now = () => clock.now();
  const store = await openAgentDatabase(databaseFile(config.dataDir));
  try {
    await bindLocation(store, config.location, now());
    await recordHeartbeat(store, now());
  } catch (error) {
    store.close();
    throw error;
  }

  const outbox = new Outbox(store, now);
  const edge = new EdgeClient({ edgeUrl: config.edgeUrl, storeKey: config.storeKey, location: config.location, timeoutMs: options.edgeTimeoutMs ?? config.edgeTimeoutSeconds * 1000 });
  const replayer = new Replayer({
    store,
    outbox,
    edge,
    log,
    clock,
    backoff: options.backoff ?? { baseMs: 500, capMs: config.maxBackoffSeconds * 1000 },
    random: options.random,
    idlePollMs: options.idlePollMs,
    batchSize: options.batchSize,
    maxBatchBytes: options.maxBatchBytes,
  });
  const feedPuller = new FeedPuller({ store, edge, location: config.location, intervalMs: config.pullIntervalSeconds * 1000, log, clock });
  const healthReporter = new HealthReporter({ store, outbox, edge, intervalMs: config.healthIntervalSeconds * 1000, log, clock });
  const hosts = new HostAllowlist(config.allowedHosts, config.host);
  const customers = new CustomerLookup({
    store,
    edge,
    location: config.location,
    holdCap: config.loyaltyHoldCap,
    holdTtlSeconds: config.loyaltyHoldTtlSeconds,
    ...(config.phoneCountry === undefined ? {} : { phoneCountry: config.phoneCountry }),
    log,
    clock: now,
  });
  const app = createPosApi({
    store,
    outbox,
    customers,
    redemptions: new RedemptionDesk({ store, outbox, policy: config.offlineRedemption, clock: now }),
    hosts,
    terminalRate: { ratePerSecond: config.terminalRatePerSecond, burst: config.terminalBurst },
    log,
    clock: now,
    onRecorded: () => replayer.nudge(),
  });

  let server: ServerType;
  try {
    server = await listen(app.fetch, config.port, config.host);
  } catch (error) {
    store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  hosts.listeningOn(port);

  let lastPrune = 0;
  // A real timer even under a test clock: the heartbeat says this process is alive; the times it writes are the clock's.
  const housekeeping = setInterval(() => {
    const at = now();
    const prune = at - lastPrune >= pruneEveryMs;
    if (prune) lastPrune = at;
    void (async () => {
      await recordHeartbeat(store, at);
      if (prune) {
        const pruned = await outbox.pruneSent(at - retainSentMs);
        if (pruned > 0) log({ event: "pruned", rows: pruned });
      }
    })().catch((error: unknown) => log({ level: "error", event: "housekeeping_failed", message: error instanceof Error ? error.message : String(error) }));
  }, heartbeatIntervalMs);

  replayer.start();
  feedPuller.start();
  healthReporter.start();
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log({ event: "started", location: config.location, url, allowedHosts: hosts.allowed, dataDir: config.dataDir, edgeUrl: config.edgeUrl, startupMs: Math.round(process.uptime() * 1000) });

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    store,
    outbox,
    replayer,
    feedPuller,
    healthReporter,
    close: () =>
      (closing ??= (async () => {
        clearInterval(housekeeping);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([replayer.stop(), feedPuller.stop(), healthReporter.stop()]);
        await clearHeartbeat(store).catch(() => undefined);
        store.close();
        log({ event: "stopped" });
      })()),
  };
}

function listen(fetch: Parameters<typeof serve>[0]["fetch"], port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolve(server));
    server.once("error", reject);
  });
}
