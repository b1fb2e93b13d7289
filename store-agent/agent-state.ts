import { eq } from "drizzle-orm";
import type { AgentDatabase } from "./db/client.ts";
import { agentState, type LinkError } from "./db/schema.ts";

const stateRow = eq(agentState.id, 1);

export class LocationMismatchError extends Error {
  override readonly name = "LocationMismatchError";
}

/**
 * Binds the data dir to one store the first time, and refuses another store
 * after that: sequence numbers and receipts belong to one location.
 */
export async function bindLocation(store: AgentDatabase, location: string, now: number): Promise<void> {
  await store.db.insert(agentState).values({ id: 1, location, lastSequence: 0, createdAt: now }).onConflictDoNothing();
  const bound = await boundLocation(store);
  if (bound !== location) {
    throw new LocationMismatchError(`${store.file} belongs to location ${bound}, not ${location}; use another data dir for another store`);
  }
}

/** The location the data dir belongs to, or null before the agent first started on it. */
export async function boundLocation(store: AgentDatabase): Promise<string | null> {
  const row = await store.db.select({ location: agentState.location }).from(agentState).where(stateRow).get();
  return row?.location ?? null;
}

export async function readAgentState(store: AgentDatabase) {
  return (await store.db.select().from(agentState).where(stateRow).get()) ?? null;
}

export async function recordHeartbeat(store: AgentDatabase, now: number): Promise<void> {
  await store.db.update(agentState).set({ heartbeatAt: now }).where(stateRow);
}

/** Clears the heartbeat on a clean stop, so `status` says "not running" at once. */
export async function clearHeartbeat(store: AgentDatabase): Promise<void> {
  await store.db.update(agentState).set({ heartbeatAt: null }).where(stateRow);
}

/** A push that did not end in an acknowledgement; `reachable` says whether the edge answered at all. */
export async function recordPushFailure(store: AgentDatabase, error: LinkError, reachable: boolean): Promise<void> {
  await store.db.update(agentState).set({ lastPushError: error, edgeReachable: reachable, edgeCheckedAt: error.at }).where(stateRow);
}

export async function recordPullFailure(store: AgentDatabase, error: LinkError, reachable: boolean): Promise<void> {
  await store.db.update(agentState).set({ lastPullError: error, edgeReachable: reachable, edgeCheckedAt: error.at }).where(stateRow);
}
