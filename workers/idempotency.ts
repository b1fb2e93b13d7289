import type { Context } from "hono";
import type { IdempotencyInput } from "../durable/idempotency.ts";
import { AppError, type Failure } from "../shared/errors.ts";
import { canonicalJson, sha256Hex } from "../shared/ids.ts";
import type { AppEnv } from "./env.ts";

/**
 * Reads the Idempotency-Key header and fingerprints the request (method,
 * path and canonical validated body), so that the object can tell a retry
 * from a different request under the same key. The key belongs to its
 * caller: the tenant and the first key of the calling key's rotation chain
 * (so a retry sent with a rotated key's successor is still a retry), or
 * a partner key's chain (acting on one of its tenants: in that tenant), or
 * the platform key.
 */
export async function idempotencyOf(c: Context<AppEnv>, body: unknown, options: { required: boolean }): Promise<IdempotencyInput | undefined> {
  const key = c.req.header("idempotency-key");
  if (key === undefined || key === "") {
    if (options.required) throw new AppError("idempotency_key_required", "Send an Idempotency-Key header with every POST; reuse it when you retry");
    return undefined;
  }
  if (key.length > 255) throw new AppError("validation_failed", "Idempotency-Key is longer than 255 characters");
  const requestHash = await sha256Hex(`${c.req.method} ${c.req.path} ${canonicalJson(body)}`);
  const principal = c.get("principal");
  const partner = c.get("partner");
  const scope = principal ? `${principal.tenantId}/${principal.lineage}` : partner ? `partner:${partner.partnerId}/${partner.lineage}` : "platform";
  return { key, requestHash, scope };
}

type Success<R> = R extends { ok: true } ? R : never;

/**
 * Turns an object's answer into the success value or a thrown AppError, and
 * marks a replayed answer with `Idempotent-Replayed: true`.
 */
export function settle<R extends { ok: boolean }>(c: Context<AppEnv>, result: { outcome: R; replayed: boolean }): Success<R> {
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  return unwrap(result.outcome);
}

/** The success value of a business result; a failure becomes the AppError of its code. */
export function unwrap<R extends { ok: boolean }>(result: R): Success<R> {
  if (result.ok) return result as Success<R>;
  const failure = result as unknown as Failure;
  throw new AppError(failure.code, failure.detail, failure.extra);
}

