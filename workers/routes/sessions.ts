import type { Context } from "hono";
import { consoleSessions } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { sha256Hex } from "../../shared/ids.ts";
import { Session } from "../../shared/schemas/sessions.ts";
import { csrfTokenOf, newSessionToken, type SessionOwner } from "../../shared/session-tokens.ts";
import type { AppEnv } from "../env.ts";
import { bearer } from "../middleware/authenticate.ts";
import { clearSessionCookie, setSessionCookie, type ConsoleSession } from "../middleware/console-session.ts";
import { createRouter, json, routesOf } from "../openapi.ts";

const sessions = routesOf("Sessions");

const signIn = sessions.post("/v1/sessions", "createSession", {
  summary: "Sign in to the console: exchange a tenant or partner key for a session cookie",
  description: [
    "Send the key as `Authorization: Bearer <key>` (a tenant key of any role, or a partner key). The answer sets the `shelfsync_session` cookie (HttpOnly, SameSite=Strict, Path=/v1, Secure over https) and holds the session's CSRF token.",
    "Every other route then accepts the cookie instead of the key, with exactly the key's access: a write made with it needs `X-Shelfsync-CSRF: <csrfToken>` (403 `csrf_token_invalid` otherwise).",
    "A session ends 8 hours after sign-in, after an hour without a request (401 `session_expired`), at sign-out, or within 30 seconds of its key's revocation. Each call makes a new session: no Idempotency-Key.",
  ].join(" "),
  security: [{ bearer: [] }],
  responses: { 201: json(Session, "The session; its cookie is in Set-Cookie") },
});

const current = sessions.get("/v1/sessions/current", "getSession", {
  summary: "The console session of the request's cookie, with its CSRF token (for a console page that was reloaded)",
  security: [{ session: [] }],
  responses: { 200: json(Session, "The session") },
});

const signOut = sessions.delete("/v1/sessions/current", "deleteSession", {
  summary: "Sign out: end the console session of the request's cookie, and clear the cookie",
  security: [{ session: [] }],
  responses: { 204: { description: "Ended" } },
});

/** The session as the API shows it: what it acts on and as whom, when it ends, and its CSRF token. */
async function sessionView(c: Context<AppEnv>, session: Omit<ConsoleSession, "keyHash">): Promise<Session> {
  const principal = c.get("principal");
  return {
    kind: session.owner.kind,
    tenant: principal?.tenantId ?? null,
    partner: session.owner.kind === "partner" ? session.owner.id : null,
    keyId: session.keyId,
    role: principal?.role ?? null,
    expiresAt: new Date(session.expiresAt).toISOString(),
    idleExpiresAt: new Date(session.idleExpiresAt).toISOString(),
    csrfToken: await csrfTokenOf(session.token),
  };
}

function requireSession(c: Context<AppEnv>): ConsoleSession {
  const session = c.get("session");
  if (!session) throw new AppError("not_found", "This request has no console session cookie");
  return session;
}

/** Console sign-in, the current session, sign-out (docs/decisions/0035-console.md). */
export const sessionRoutes = createRouter()
  .openapi(signIn, async (c) => {
    if (c.get("session")) throw new AppError("unauthorized", "Sign in with the key itself: Authorization: Bearer <key>");
    const partner = c.get("partner");
    const principal = c.get("principal");
    const owner: SessionOwner | null = partner ? { kind: "partner", id: partner.partnerId } : principal ? { kind: "tenant", id: principal.tenantId } : null;
    if (!owner) throw new AppError("unauthorized", "The console takes a tenant key or a partner key");
    const keyId = partner?.keyId ?? principal!.keyId;
    const token = newSessionToken(owner);
    const times = await consoleSessions(c.env, owner).open({ tokenHash: await sha256Hex(token), keyHash: await sha256Hex(bearer(c)), keyId });
    setSessionCookie(c, token);
    return c.json(await sessionView(c, { token, owner, keyId, ...times }), 201);
  })
  .openapi(current, async (c) => c.json(await sessionView(c, requireSession(c)), 200))
  .openapi(signOut, async (c) => {
    const session = requireSession(c);
    await consoleSessions(c.env, session.owner).close(await sha256Hex(session.token));
    clearSessionCookie(c);
    return c.body(null, 204);
  });
