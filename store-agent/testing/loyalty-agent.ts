import type { AgentConfig } from "../env.ts";
import { silentLogger, type Logger } from "../log.ts";
import { startAgent, type RunningAgent } from "../main.ts";
import type { FakeCustomer, FakeEdge } from "./fake-edge.ts";
import { agentConfig, bearer, getJson, pairInProcess } from "./fixtures.ts";
import type { TestClock } from "./test-clock.ts";

/** Jane, with more points than the store's default cap (500) holds. */
export const jane: FakeCustomer = { id: "cust-1", name: "Jane Doe", loyaltyId: "LOY-0042", balance: 1200 };

/** A running agent on `dataDir` pointed at `edge`, with a paired terminal's headers; the replayer, puller and reporter stopped, so that sales stay in the backlog. */
export async function startLoyaltyAgent(
  dataDir: string,
  edge: FakeEdge,
  clock: TestClock,
  overrides: Partial<AgentConfig> = {},
  log: Logger = silentLogger,
): Promise<{ agent: RunningAgent; auth: Record<string, string> }> {
  const agent = await startAgent(agentConfig(dataDir, edge.url, overrides), { log, clock });
  await Promise.all([agent.replayer.stop(), agent.feedPuller.stop(), agent.healthReporter.stop()]);
  return { agent, auth: bearer((await pairInProcess(agent)).token) };
}

/** GET /pos/v1/customers/{key} as a terminal. */
export function lookUp(agent: RunningAgent, auth: Record<string, string>, key: string) {
  return getJson(`${agent.url}/pos/v1/customers/${encodeURIComponent(key)}`, auth);
}
