import { fail, type Failure } from "../shared/errors.ts";
import type { ApiKey, KeyStatus } from "../shared/schemas/tenancy.ts";
import type { apiKeys } from "./schema/tenant-registry.ts";

type KeyRow = typeof apiKeys.$inferSelect;

/** What a key's state is read from: tenant and partner keys share these columns. */
export type KeyLife = Pick<KeyRow, "id" | "expiresAt" | "revokedAt" | "replacedBy">;

/** How stale `lastUsedAt` may get before the key check writes it again: one write a minute per key, not one per request. */
export const lastUsedResolutionMs = 60_000;

/** A key's state at `now`: revoked wins over expired, because a revocation is a decision and an expiry only a date. */
export function keyStatus(row: KeyLife, now: number): KeyStatus {
  if (row.revokedAt !== null) return "revoked";
  if (row.expiresAt !== null && now >= row.expiresAt) return "expired";
  return "active";
}

/** Why a key may not be used at `now`, or null when it may. */
export function keyRefusal(row: KeyLife, now: number): Failure<"key_revoked" | "key_expired"> | null {
  const status = keyStatus(row, now);
  if (status === "revoked") return fail("key_revoked", `API key ${row.id} was revoked at ${iso(row.revokedAt!)}`);
  if (status === "expired") {
    const successor = row.replacedBy ? `; it was rotated and ${row.replacedBy} took its place` : "";
    return fail("key_expired", `API key ${row.id} expired at ${iso(row.expiresAt!)}${successor}`);
  }
  return null;
}

/** What every key shows of itself, tenant's or partner's: its life, never its digest. */
export function keyLifeView(row: KeyLife & Pick<KeyRow, "name" | "createdAt" | "lastUsedAt" | "replaces">, now: number) {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.createdAt),
    status: keyStatus(row, now),
    expiresAt: nullableIso(row.expiresAt),
    revokedAt: nullableIso(row.revokedAt),
    lastUsedAt: nullableIso(row.lastUsedAt),
    replacedBy: row.replacedBy,
    replaces: row.replaces,
    key: null,
  };
}

/** The key as the API shows it: never its digest. */
export function toApiKey(row: KeyRow, now: number): ApiKey {
  return { ...keyLifeView(row, now), role: row.role, channel: row.channel, location: row.location };
}

/**
 * Whether key `row` may be rotated at `now` and, if so, the successor's
 * expiry and the old key's new one (the end of the overlap, or its own
 * expiry if sooner): the rules of decision 0017, for tenant and partner keys.
 */
export function rotationOf(
  row: KeyLife,
  input: { expiresAt?: string; overlapSeconds: number },
  now: number,
): Failure<"conflict" | "validation_failed"> | { ok: true; successorExpiresAt: number | null; previousExpiresAt: number } {
  if (row.replacedBy) return fail("conflict", `API key ${row.id} was already rotated; rotate its successor ${row.replacedBy}`);
  const refusal = keyRefusal(row, now);
  if (refusal) return fail("conflict", `${refusal.detail}: it cannot be rotated, create a new key instead`);
  const successorExpiresAt = requestedExpiry(input.expiresAt, now);
  if (typeof successorExpiresAt === "object" && successorExpiresAt !== null) return successorExpiresAt;
  const overlapEnd = now + input.overlapSeconds * 1000;
  return { ok: true, successorExpiresAt, previousExpiresAt: row.expiresAt === null ? overlapEnd : Math.min(row.expiresAt, overlapEnd) };
}

/** An expiry a client asked for, in ms, or a failure when it is not in the future. */
export function requestedExpiry(expiresAt: string | undefined, now: number): Failure<"validation_failed"> | number | null {
  if (expiresAt === undefined) return null;
  const at = Date.parse(expiresAt);
  return at > now ? at : fail("validation_failed", `expiresAt ${expiresAt} is not in the future`);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function nullableIso(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
