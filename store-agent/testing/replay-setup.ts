import type { BackoffPolicy } from "../../shared/backoff.ts";
import type { AgentDatabase } from "../db/client.ts";
import { EdgeClient } from "../edge-client.ts";
import type { Logger } from "../log.ts";
import { Outbox } from "../outbox.ts";
import { Replayer } from "../replayer.ts";
import { location, openBoundDatabase, storeKey } from "./fixtures.ts";
import { TestClock } from "./test-clock.ts";

export interface ReplaySetup {
  store: AgentDatabase;
  outbox: Outbox;
  replayer: Replayer;
  /** The replayer's clock: its backoffs and idle polls wait until the test moves it. */
  clock: TestClock;
  /** Stops the replayer and closes the database, as a crash would leave it (nothing else is saved). */
  close(): Promise<void>;
}

/**
 * The agent's database in `dir` with an outbox and a replayer pointed at
 * `edgeUrl`, on a TestClock: the production backoff policy (without jitter
 * unless `random` is given), and no test waits for it in real time. A drain
 * that meets a fault needs `clock.run(replayer.drain())`.
 */
export async function openReplay(
  dir: string,
  edgeUrl: string,
  options: { backoff?: BackoffPolicy; random?: () => number; log?: Logger; storeKey?: string; batchSize?: number; clock?: TestClock } = {},
): Promise<ReplaySetup> {
  const clock = options.clock ?? new TestClock();
  const store = await openBoundDatabase(dir);
  const outbox = new Outbox(store, () => clock.now());
  const edge = new EdgeClient({ edgeUrl, storeKey: options.storeKey ?? storeKey, location, timeoutMs: 10_000 });
  const replayer = new Replayer({
    store,
    outbox,
    edge,
    backoff: options.backoff,
    random: options.random ?? (() => 1),
    log: options.log,
    batchSize: options.batchSize,
    clock,
  });
  return {
    store,
    outbox,
    replayer,
    clock,
    async close() {
      await replayer.stop();
      store.close();
    },
  };
}
