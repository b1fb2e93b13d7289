import { fnv1a32 } from "../../shared/fnv.ts";
import { traceIdOf } from "../../shared/tracing.ts";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { auditShards, tenantAudit } from "../../durable/objects.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import { AppError } from "../../shared/errors.ts";
import { problemResponse } from "../../shared/problem.ts";
import type { NewAuditRecord } from "../../shared/schemas/audit.ts";
import type { AppEnv } from "../env.ts";
import { logLine } from "../log.ts";
import { keyChecks } from "./authenticate.ts";

/** A key's reads are recorded as a sign-in at most once in this long per isolate: reads are most of the traffic. */
export const signInResolutionMs = 60_000;
const maxRemembered = 10_000;

/** When this isolate last recorded each key's sign-in by a read. */
const lastSignIn = new Map<string, number>();

/** Tests replace it to move time on instead of waiting (the records' own time is the audit object's). */
export const auditClock: { clock: Clock } = { clock: systemClock };

/**
 * Records the tenant's audit trail (docs/security.md): every write by a key
 * or a signed webhook, awaited before the answer leaves, so no write is
 * acknowledged unrecorded (if the record cannot be written the client gets
 * 500 and retries under its Idempotency-Key, which replays the effect and
 * records it); a key's reads as one sign-in a minute, and refused keys of an
 * existing tenant, after the answer (waitUntil). Requests refused by a rate
 * limit are not recorded: they changed nothing, and a flood must not cost a
 * write each.
 */
export const auditTrail = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const status = c.res.status;
  if (status === 429) return;
  const principal = c.get("principal");
  const write = c.req.method !== "GET" && c.req.method !== "HEAD";
  const route = routePath(c, -1);
  if (principal) {
    const who = { keyId: principal.keyId, role: principal.role };
    // A console sign-in is a sign-in, recorded before its cookie is handed out.
    if (write && route === "/v1/sessions") return appendAwaited(c, principal.tenantId, { kind: "sign_in", ...who, ...(await what(c, route)) });
    if (write) return appendAwaited(c, principal.tenantId, { kind: "write", ...who, ...(await what(c, route)) });
    if (!firstReadInMinute(principal.keyId)) return;
    return appendLater(c, principal.tenantId, { kind: "sign_in", ...who, ...(await what(c, route)) });
  }
  const keyTenant = c.get("keyTenant");
  if (status === 401 && keyTenant && keyChecks.knownTenant(keyTenant)) {
    return appendLater(c, keyTenant, { kind: "sign_in", keyId: null, role: null, ...(await what(c, route)) });
  }
  const webhookTenant = /^\/v1\/webhooks\/[^/]+\/([^/]+)$/.exec(c.req.path)?.[1];
  // Only a webhook the tenant's integration accepted: a made-up tenant in the URL must not bring an audit object into being.
  if (write && webhookTenant && status < 400) return appendAwaited(c, webhookTenant, { kind: "write", keyId: null, role: null, ...(await what(c, route)) });
});

async function appendAwaited(c: Context<AppEnv>, tenantId: string, record: NewAuditRecord): Promise<void> {
  try {
    await tenantAudit(c.env, tenantId, auditShardOf(record.requestId)).append([record]);
  } catch (error) {
    logLine({ level: "error", requestId: record.requestId, traceId: record.traceId, message: `audit append failed: ${(error as Error).message}` });
    c.res = problemResponse(c, new AppError("internal_error", "The request could not be recorded in the audit trail; retry it with the same Idempotency-Key"));
  }
}

function appendLater(c: Context<AppEnv>, tenantId: string, record: NewAuditRecord): void {
  const appended = tenantAudit(c.env, tenantId, auditShardOf(record.requestId))
    .append([record])
    .catch((error: Error) => logLine({ level: "error", requestId: record.requestId, traceId: record.traceId, message: `audit append failed: ${error.message}` }));
  c.executionCtx.waitUntil(appended);
}

/** The audit object a record goes to: spread by its request id (FNV-1a), so concurrent writes of a tenant land on different objects. */
export function auditShardOf(requestId: string): number {
  return fnv1a32(requestId) % auditShards;
}

function firstReadInMinute(keyId: string): boolean {
  const now = auditClock.clock.now();
  const last = lastSignIn.get(keyId);
  if (last !== undefined && now - last < signInResolutionMs) return false;
  if (last === undefined && lastSignIn.size >= maxRemembered) lastSignIn.delete(lastSignIn.keys().next().value!);
  lastSignIn.set(keyId, now);
  return true;
}

/** The request's route, object and outcome, and its request and trace ids. */
async function what(c: Context<AppEnv>, route: string): Promise<Omit<NewAuditRecord, "kind" | "keyId" | "role">> {
  const status = c.res.status;
  const requestId = c.get("requestId");
  return {
    method: c.req.method,
    route,
    path: c.req.path,
    objectId: objectOf(route, c.req.path) ?? (status < 300 ? await createdId(c) : null),
    status,
    outcome: status < 400 ? "ok" : await problemCode(c),
    requestId,
    traceId: traceIdOf(c.get("traceparent")) ?? requestId,
  };
}

/** The path's values at the pattern's parameters (`/v1/keys/:id` and `/v1/keys/key_1` → `key_1`), joined by `/`. */
function objectOf(route: string, path: string): string | null {
  const names = route.split("/");
  const values = path.split("/");
  const params = names.flatMap((name, at) => (name.startsWith(":") && values[at] !== undefined ? [decodeURIComponent(values[at])] : []));
  return params.length > 0 ? params.join("/") : null;
}

/** The `id` of what a write answered with (a created order, key, return), when it has one. */
async function createdId(c: Context<AppEnv>): Promise<string | null> {
  if (!c.res.headers.get("content-type")?.includes("json")) return null;
  const body = (await c.res.clone().json().catch(() => null)) as { id?: unknown } | null;
  return typeof body?.id === "string" ? body.id : null;
}

async function problemCode(c: Context<AppEnv>): Promise<string> {
  const body = (await c.res.clone().json().catch(() => null)) as { code?: unknown } | null;
  return typeof body?.code === "string" ? body.code : `http_${c.res.status}`;
}
