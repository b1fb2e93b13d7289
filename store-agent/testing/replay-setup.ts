import type { BackoffPolicy } from "../backoff.ts";
import type { AgentDatabase } from "../db/client.ts";
import { EdgeClient } from "../edge-client.ts";
import type { Logger } from "../log.ts";
import { Outbox } from "../outbox.ts";
import { Replayer } from "../replayer.ts";
import { location, openBoundDatabase, storeKey } from "./fixtures.ts";

export interface ReplaySetup {
  store: AgentDatabase;
  outbox: Outbox;
  replayer: Replayer;
  /** Stops the replayer and closes the database, as a crash would leave it (nothing else is saved). */
  close(): Promise<void>;
}

/**
 * The agent's database in `dir` with an outbox and a replayer pointed at
 * `edgeUrl`; backoff is short (and without jitter unless `random` is given)
 * so that tests spend no time waiting.
 */
export async function openReplay(
  dir: string,
  edgeUrl: string,
  options: { backoff?: BackoffPolicy; random?: () => number; log?: Logger; storeKey?: string; batchSize?: number } = {},
): Promise<ReplaySetup> {
  const store = await openBoundDatabase(dir);
  const outbox = new Outbox(store);
  const edge = new EdgeClient({ edgeUrl, storeKey: options.storeKey ?? storeKey, location, timeoutMs: 10_000 });
  const replayer = new Replayer({
    store,
    outbox,
    edge,
    backoff: options.backoff ?? { baseMs: 5, capMs: 50 },
    random: options.random ?? (() => 1),
    idlePollMs: 50,
    log: options.log,
    batchSize: options.batchSize,
  });
  return {
    store,
    outbox,
    replayer,
    async close() {
      await replayer.stop();
      store.close();
    },
  };
}
