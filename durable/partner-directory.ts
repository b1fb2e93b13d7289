import { and, asc, eq, gt, isNull, ne, or, sql } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import type { CreatePartnerKeyRequest, CreatePartnerRequest, Partner, PartnerKey } from "../shared/schemas/partners.ts";
import type { RotateKeyRequest } from "../shared/schemas/tenancy.ts";
import { iso, keyLifeView, keyRefusal, lastUsedResolutionMs, requestedExpiry, rotationOf } from "./api-keys.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/partner-directory/migrations.js";
import { parseName, type PartnerIdentity } from "./objects.ts";
import * as schema from "./schema/partner-directory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import type { NewKey } from "./tenant-registry.ts";

const { partner, partnerKeys, logo } = schema;

type PartnerKeyRow = typeof partnerKeys.$inferSelect;

/** A partner key's holder, as the edge authenticated it. */
export interface PartnerPrincipal {
  partnerId: string;
  keyId: string;
  /** The first key of the key's rotation chain: the owner of its idempotency records. */
  lineage: string;
}

export type PartnerKeyCheck = Result<{ principal: PartnerPrincipal; validUntil: number | null }, "unauthorized" | "key_revoked" | "key_expired">;

/**
 * One per partner (a white-label operator), named by the partner id: its
 * keys (hashed, with the lifecycle of tenant keys: expiry, revocation,
 * rotation, last use) and its logo. The platform directory lists partners,
 * their tenants and their brands.
 */
export class PartnerDirectory extends ShelfsyncObject<typeof schema, PartnerIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.partner });
  }

  async createPartner(input: CreatePartnerRequest & { adminKey: NewKey }, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ partner: Partner; adminKey: PartnerKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      if (this.partnerRow()) return fail("conflict", `Partner ${input.id} already exists`);
      this.db.insert(partner).values({ id: input.id, name: input.name, createdAt: now }).run();
      this.db.insert(partnerKeys).values({ id: input.adminKey.id, keyHash: input.adminKey.keyHash, name: "initial admin key", createdAt: now }).run();
      return { ok: true, partner: this.partnerView()!, adminKey: this.keyView(input.adminKey.id) };
    });
  }

  /** Checks a partner key by its digest, as TenantRegistry.authenticate does a tenant key's. */
  async authenticate(keyHash: string): Promise<PartnerKeyCheck> {
    const key = this.db.select().from(partnerKeys).where(eq(partnerKeys.keyHash, keyHash)).get();
    const partnerRow = key && this.partnerRow();
    if (!key || !partnerRow) return fail("unauthorized", "Unknown API key");
    const now = this.now();
    const refusal = keyRefusal(key, now);
    if (refusal) return refusal;
    if (key.lastUsedAt === null || now - key.lastUsedAt >= lastUsedResolutionMs) this.db.update(partnerKeys).set({ lastUsedAt: now }).where(eq(partnerKeys.id, key.id)).run();
    return { ok: true, principal: { partnerId: partnerRow.id, keyId: key.id, lineage: key.lineage ?? key.id }, validUntil: key.expiresAt };
  }

  async createKey(input: CreatePartnerKeyRequest, key: NewKey, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ key: PartnerKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const expiresAt = requestedExpiry(input.expiresAt, now);
      if (typeof expiresAt === "object" && expiresAt !== null) return expiresAt;
      this.db.insert(partnerKeys).values({ id: key.id, keyHash: key.keyHash, name: input.name ?? null, createdAt: now, expiresAt }).run();
      return { ok: true, key: this.keyView(key.id) };
    });
  }

  async listKeys(): Promise<PartnerKey[]> {
    const now = this.now();
    return this.db.select().from(partnerKeys).orderBy(asc(partnerKeys.createdAt)).all().map((row) => toPartnerKey(row, now));
  }

  /** Revokes a key for good; the partner's last usable key cannot be revoked (rotate it instead), as with a tenant's last admin key. */
  async revokeKey(id: string): Promise<Result<{ key: PartnerKey }>> {
    return this.transaction(() => {
      const now = this.now();
      const row = this.keyRow(id);
      if (!row) return fail("not_found", `No API key ${id}`);
      if (row.revokedAt !== null) return { ok: true, key: toPartnerKey(row, now) };
      if (!keyRefusal(row, now) && this.otherUsableKeys(id, now) === 0) return fail("conflict", `API key ${id} is the partner's last usable key; rotate it instead`);
      this.db.update(partnerKeys).set({ revokedAt: now }).where(eq(partnerKeys.id, id)).run();
      return { ok: true, key: this.keyView(id) };
    });
  }

  /** Issues `successor` in place of key `id`; the old key works until the overlap ends (decision 0017). */
  async rotateKey(id: string, input: RotateKeyRequest, successor: NewKey, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ key: PartnerKey; previous: PartnerKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const row = this.keyRow(id);
      if (!row) return fail("not_found", `No API key ${id}`);
      const rotation = rotationOf(row, input, now);
      if (!rotation.ok) return rotation;
      const expiresAt = rotation.successorExpiresAt;
      this.db
        .insert(partnerKeys)
        .values({ id: successor.id, keyHash: successor.keyHash, name: row.name, createdAt: now, expiresAt, replaces: id, lineage: row.lineage ?? id })
        .run();
      this.db
        .update(partnerKeys)
        .set({ replacedBy: successor.id, expiresAt: rotation.previousExpiresAt })
        .where(eq(partnerKeys.id, id))
        .run();
      return { ok: true, key: this.keyView(successor.id), previous: this.keyView(id) };
    });
  }

  /** Replaces the logo; its type and size were checked by the edge. */
  async putLogo(contentType: string, bytes: Uint8Array): Promise<{ contentType: string; bytes: number; updatedAt: number }> {
    const updatedAt = this.now();
    this.db
      .insert(logo)
      .values({ id: 1, contentType, bytes, updatedAt })
      .onConflictDoUpdate({ target: logo.id, set: { contentType, bytes, updatedAt } })
      .run();
    return { contentType, bytes: bytes.byteLength, updatedAt };
  }

  async getLogo(): Promise<{ contentType: string; bytes: Uint8Array; updatedAt: number } | null> {
    const row = this.db.select().from(logo).where(eq(logo.id, 1)).get();
    return row ? { contentType: row.contentType, bytes: new Uint8Array(row.bytes), updatedAt: row.updatedAt } : null;
  }

  private partnerRow() {
    return this.db.select().from(partner).limit(1).get();
  }

  private partnerView(): Partner | null {
    const row = this.partnerRow();
    return row ? { id: row.id, name: row.name, createdAt: iso(row.createdAt) } : null;
  }

  private keyRow(id: string): PartnerKeyRow | undefined {
    return this.db.select().from(partnerKeys).where(eq(partnerKeys.id, id)).get();
  }

  private keyView(id: string): PartnerKey {
    return toPartnerKey(this.keyRow(id)!, this.now());
  }

  private otherUsableKeys(id: string, now: number): number {
    const usable = and(ne(partnerKeys.id, id), isNull(partnerKeys.revokedAt), or(isNull(partnerKeys.expiresAt), gt(partnerKeys.expiresAt, now)));
    return this.db.select({ count: sql<number>`count(*)` }).from(partnerKeys).where(usable).get()!.count;
  }
}

/** The key as the API shows it: never its digest. */
function toPartnerKey(row: PartnerKeyRow, now: number): PartnerKey {
  return { ...keyLifeView(row, now), role: "partner" };
}
