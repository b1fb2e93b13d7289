import { test } from "vitest";
import { FakeEdge } from "./fake-edge.ts";
import { location, storeKey, tempDataDir } from "./fixtures.ts";
import { openReplay, type ReplaySetup } from "./replay-setup.ts";

/**
 * A test with the store's own fixtures, made for it and gone after it: `dataDir`
 * (a fresh data directory) and `edge` (a FakeEdge for the store). A test names
 * the ones it uses.
 *
 * @example
 * storeTest("…", async ({ dataDir, edge }) => { … });
 */
export const storeTest = test.extend<{ dataDir: ReturnType<typeof tempDataDir>; edge: FakeEdge }>({
  // vitest reads a fixture's dependencies from its first parameter: none here.
  dataDir: async ({}, use) => {
    const dataDir = tempDataDir();
    await use(dataDir);
    dataDir.remove();
  },
  edge: async ({}, use) => {
    const edge = await FakeEdge.start({ location, storeKey });
    await use(edge);
    await edge.close();
  },
});

/** `storeTest` with `agent`: the agent's outbox and replayer on `dataDir`, pointed at `edge` (see openReplay). */
export const replayTest = storeTest.extend<{ agent: ReplaySetup }>({
  agent: async ({ dataDir, edge }, use) => {
    const agent = await openReplay(dataDir.dir, edge.url);
    await use(agent);
    await agent.close();
  },
});
