import { eq, lte, or } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { sessionIdleMs, sessionLifetimeMs, type SessionOwner } from "../shared/session-tokens.ts";
import migrations from "./migrations/console-sessions/migrations.js";
import { parseName } from "./objects.ts";
import * as schema from "./schema/console-sessions.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { consoleSessions } = schema;

/** A session's last use is written again once it is this old: idle expiry is exact to this, and a busy console costs one write a minute. */
export const lastSeenResolutionMs = 60_000;

/** A live session: the key it stands for, and when it ends. */
export interface SessionTimes {
  expiresAt: number;
  idleExpiresAt: number;
}

export type SessionCheck = Result<{ keyHash: string; keyId: string } & SessionTimes, "unauthorized" | "session_expired">;

/**
 * The console sessions of one tenant's keys or one partner's keys, named
 * `tenant:<id>` or `partner:<id>` (the session token says which). A session
 * stands for its key, by the key's digest: the edge checks that key on each
 * request as if it had been sent (docs/decisions/0035-console.md), so
 * revoking the key ends its sessions within the key-check bound (0017).
 * Sessions end 8 hours after sign-in, or after an hour without a request.
 */
export class ConsoleSessions extends ShelfsyncObject<typeof schema, SessionOwner> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.sessionOwner });
  }

  /** Opens a session for the key whose digest is `keyHash`; ended sessions are removed on the way. */
  async open(input: { tokenHash: string; keyHash: string; keyId: string }): Promise<SessionTimes> {
    return this.transaction(() => {
      const now = this.now();
      this.db.delete(consoleSessions).where(or(lte(consoleSessions.expiresAt, now), lte(consoleSessions.lastSeenAt, now - sessionIdleMs))).run();
      const expiresAt = now + sessionLifetimeMs;
      this.db.insert(consoleSessions).values({ ...input, createdAt: now, lastSeenAt: now, expiresAt }).run();
      return { expiresAt, idleExpiresAt: now + sessionIdleMs };
    });
  }

  /** The key a session stands for, if the session is live; its last use is recorded (to the minute). An ended session is removed. */
  async check(tokenHash: string): Promise<SessionCheck> {
    return this.transaction(() => {
      const now = this.now();
      const row = this.db.select().from(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash)).get();
      if (!row) return fail("unauthorized", "Unknown or ended console session: sign in again");
      if (now >= row.expiresAt || now >= row.lastSeenAt + sessionIdleMs) {
        this.db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash)).run();
        return fail("session_expired", now >= row.expiresAt ? "The console session is 8 hours old: sign in again" : "The console session was idle for an hour: sign in again");
      }
      let lastSeenAt = row.lastSeenAt;
      if (now - lastSeenAt >= lastSeenResolutionMs) {
        lastSeenAt = now;
        this.db.update(consoleSessions).set({ lastSeenAt }).where(eq(consoleSessions.tokenHash, tokenHash)).run();
      }
      return { ok: true, keyHash: row.keyHash, keyId: row.keyId, expiresAt: row.expiresAt, idleExpiresAt: lastSeenAt + sessionIdleMs };
    });
  }

  /** Ends a session (sign-out); false if there was none. */
  async close(tokenHash: string): Promise<boolean> {
    return this.transaction(() => this.db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash)).returning().all().length > 0);
  }
}
