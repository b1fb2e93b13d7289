import { newKeySecret, sha256Hex } from "./ids.ts";

/** The console's session cookie (docs/decisions/0035-console.md). */
export const sessionCookie = "shelfsync_session";

/** The header a console write carries its session's CSRF token in. */
export const csrfHeader = "x-shelfsync-csrf";

/** A session ends this long after sign-in, however busy. */
export const sessionLifetimeMs = 8 * 60 * 60 * 1000;

/** A session ends after this long without a request. */
export const sessionIdleMs = 60 * 60 * 1000;

/** What a session stands for: a tenant key or a partner key. */
export type SessionOwnerKind = "tenant" | "partner";

export interface SessionOwner {
  kind: SessionOwnerKind;
  id: string;
}

const prefixes = { tenant: "sct", partner: "scp" } as const;

/**
 * A new session token. Like an API key it carries whose it is
 * (`sct_<tenant>_<secret>` or `scp_<partner>_<secret>`, 200 random bits), so
 * the edge finds the owner's sessions object without a global index.
 *
 * @example
 * newSessionToken({ kind: "tenant", id: "acme" }) // "sct_acme_0w3x…"
 */
export function newSessionToken(owner: SessionOwner): string {
  return `${prefixes[owner.kind]}_${owner.id}_${newKeySecret()}`;
}

export function parseSessionToken(token: string): SessionOwner | null {
  const match = /^(sct|scp)_([a-z0-9-]{1,40})_([0-9a-z]{40})$/.exec(token);
  if (!match) return null;
  return { kind: match[1] === "sct" ? "tenant" : "partner", id: match[2]! };
}

/**
 * The session's CSRF token, derived from the session token (a keyed hash the
 * browser's script cannot compute: the cookie is HttpOnly). The server needs
 * nothing stored to check it, and the console reads it again after a reload
 * from `GET /v1/sessions/current`, which another site cannot read.
 */
export async function csrfTokenOf(sessionToken: string): Promise<string> {
  return sha256Hex(`shelfsync-csrf\n${sessionToken}`);
}
