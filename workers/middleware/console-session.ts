import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { consoleSessions } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { sha256Hex } from "../../shared/ids.ts";
import { csrfHeader, csrfTokenOf, parseSessionToken, sessionCookie, sessionLifetimeMs, type SessionOwner } from "../../shared/session-tokens.ts";
import type { AppEnv } from "../env.ts";
import { keyChecks } from "./authenticate.ts";
import { partnerKeyChecks } from "./partner-keys.ts";

/** A console session as the authenticate middleware found it (docs/decisions/0035-console.md). */
export interface ConsoleSession {
  token: string;
  owner: SessionOwner;
  keyId: string;
  /** The digest of the key the session stands for: the request is checked as if that key had been sent. */
  keyHash: string;
  expiresAt: number;
  idleExpiresAt: number;
}

/** The cookie's path: the API, which the console calls; the console's own files need no session. */
const cookiePath = "/v1";

/** The session token in the request's cookie, if there is one. */
export function sessionTokenOf(c: Context<AppEnv>): string | undefined {
  return getCookie(c, sessionCookie);
}

/**
 * The live session behind `token`: 401 `unauthorized` for a token that is
 * malformed, unknown or ended by sign-out, or whose tenant or partner does
 * not exist (no object is named after it then); 401 `session_expired` past
 * its 8 hours or its hour of idleness. Never cached: sign-out ends a
 * session everywhere at once. `beforeLookUp` runs before any object is asked.
 */
export async function checkSession(c: Context<AppEnv>, token: string, beforeLookUp: () => void): Promise<ConsoleSession> {
  const owner = parseSessionToken(token);
  if (!owner) throw new AppError("unauthorized", "Unknown or ended console session: sign in again");
  if (owner.kind === "tenant") c.set("keyTenant", owner.id);
  beforeLookUp();
  const exists = owner.kind === "tenant" ? await keyChecks.tenantExists(c.env, owner.id) : await partnerKeyChecks.partnerExists(c.env, owner.id);
  if (!exists) throw new AppError("unauthorized", "Unknown or ended console session: sign in again");
  const found = await consoleSessions(c.env, owner).check(await sha256Hex(token));
  if (!found.ok) throw new AppError(found.code, found.detail);
  return { token, owner, keyId: found.keyId, keyHash: found.keyHash, expiresAt: found.expiresAt, idleExpiresAt: found.idleExpiresAt };
}

/**
 * The synchronizer check: a request other than GET or HEAD made with the
 * session's cookie must carry the session's CSRF token in X-Shelfsync-CSRF
 * (403 `csrf_token_invalid` otherwise). Another site's page can make the
 * browser send the cookie (were SameSite=Strict ever bypassed) but cannot
 * read the token.
 */
export async function requireCsrfToken(c: Context<AppEnv>, session: ConsoleSession): Promise<void> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return;
  const sent = c.req.header(csrfHeader);
  if (!sent) throw new AppError("csrf_token_invalid", "A write made with the console's session cookie needs its CSRF token in the X-Shelfsync-CSRF header");
  const expected = await csrfTokenOf(session.token);
  const [a, b] = await Promise.all([sha256Hex(sent), sha256Hex(expected)]);
  if (!crypto.subtle.timingSafeEqual(new TextEncoder().encode(a), new TextEncoder().encode(b))) {
    throw new AppError("csrf_token_invalid", "The X-Shelfsync-CSRF header is not this session's CSRF token");
  }
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/v1, Secure when the request came over https, until the session's absolute end. */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, sessionCookie, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    path: cookiePath,
    maxAge: sessionLifetimeMs / 1000,
  });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, sessionCookie, { path: cookiePath, httpOnly: true, sameSite: "Strict", secure: new URL(c.req.url).protocol === "https:" });
}
