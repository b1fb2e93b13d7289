import { readAgentState } from "./agent-state.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { LinkError } from "./db/schema.ts";
import type { Outbox } from "./outbox.ts";
import type { AgentStatus } from "../shared/schemas/store-agent.ts";

/** A running agent writes its heartbeat every 5 s; three missed beats and it counts as not running. */
export const heartbeatIntervalMs = 5_000;
export const heartbeatStaleMs = 15_000;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const linkError = (error: LinkError | null | undefined) => (error ? { ...error, at: new Date(error.at).toISOString() } : null);

/**
 * The agent's status, read from its database alone: the POS API serves it,
 * and `shelfsync-agent status` reads it from another process.
 */
export async function readAgentStatus(store: AgentDatabase, outbox: Outbox, now: number = Date.now()): Promise<AgentStatus> {
  const [state, backlog, deadLetters] = await Promise.all([readAgentState(store), outbox.backlog(), outbox.deadLetterCount()]);
  const running = state?.heartbeatAt != null && now - state.heartbeatAt < heartbeatStaleMs;
  return {
    location: state?.location ?? null,
    running,
    online: running ? state?.edgeReachable === true : null,
    backlog: backlog.size,
    oldestPendingSequence: backlog.oldestSequence,
    oldestPendingAt: iso(backlog.oldestRecordedAt),
    oldestPendingAgeSeconds: backlog.oldestRecordedAt === null ? null : Math.max(0, (now - backlog.oldestRecordedAt) / 1000),
    lastSequence: state?.lastSequence ?? 0,
    lastSuccessfulPushAt: iso(state?.lastPushOkAt),
    lastSuccessfulPullAt: iso(state?.lastPullOkAt),
    lastPushError: linkError(state?.lastPushError),
    lastPullError: linkError(state?.lastPullError),
    deadLetters,
    edgeHighWaterMark: state?.edgeHighWaterMark ?? null,
    edgeGaps: state?.edgeGaps ?? [],
    feedCursor: state?.feedCursor ?? null,
  };
}
