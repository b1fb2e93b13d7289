import { and, asc, eq, gte, isNull, lt, ne, or, gt, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { fail, type Result } from "../shared/errors.ts";
import type { ErpType } from "../shared/schemas/erp-connections.ts";
import { defaultRateLimits, type RateLimits } from "../shared/schemas/limits.ts";
import { TokenBucket } from "../shared/token-bucket.ts";
import type { ApiKey, Channel, ChannelRules, CreateKeyRequest, CreateTenantRequest, KeyRole, Location, PutLocationRequest, RotateKeyRequest, Tenant } from "../shared/schemas/tenancy.ts";
import { keyRefusal, lastUsedResolutionMs, requestedExpiry, rotationOf, toApiKey } from "./api-keys.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/tenant-registry/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/tenant-registry.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { tenant, apiKeys, locations, channels, connections, erpConnections, apiUsage, throughputHours } = schema;

/** A count of one metric in one UTC hour (`hour`: its first millisecond). */
export interface ThroughputCount {
  hour: number;
  metric: string;
  count: number;
}

/** Hourly throughput is kept this long: the console charts a day, at most a week. */
const throughputKeptMs = 8 * 24 * 3_600_000;

/** A connection as the tenant's list of them knows it. */
export interface ConnectionEntry {
  id: string;
  type: string;
  channel: string;
  enabled: boolean;
}

/** An ERP connection as the tenant's list of them knows it. */
export interface ErpConnectionEntry {
  id: string;
  type: ErpType;
  enabled: boolean;
}

export interface Principal {
  tenantId: string;
  keyId: string;
  role: KeyRole;
  channel: string | null;
  location: string | null;
  /** The first key of the key's rotation chain: the owner of its idempotency records. */
  lineage: string;
}

export interface NewKey {
  id: string;
  keyHash: string;
}

export interface AuthorizeNeeds {
  location?: string;
  channel?: string;
}

/** A key check's answer: who the key is, until when it may be trusted without asking again (null: until revoked), and its tenant's rate limits. */
export type KeyCheck = Result<{ principal: Principal; validUntil: number | null; limits: RateLimits }, "unauthorized" | "key_revoked" | "key_expired">;

/**
 * One per tenant: its name, its API keys (hashed, with their expiry,
 * revocation, rotation and last use), its locations and its channels. The
 * edge checks keys here (and caches the answer for a bounded time, see
 * workers/middleware/authenticate.ts).
 */
export class TenantRegistry extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** The tenant-wide request bucket; in memory only, so an evicted registry starts it full again. */
  private requestBucket: TokenBucket | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
    this.statements = prepareStatements(this.db);
  }

  async createTenant(input: CreateTenantRequest & { adminKey: NewKey }, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ tenant: Tenant; adminKey: ApiKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      if (this.tenantRow()) return fail("conflict", `Tenant ${input.id} already exists`);
      this.db.insert(tenant).values({ id: input.id, name: input.name, createdAt: now }).run();
      this.db.insert(apiKeys).values({ id: input.adminKey.id, keyHash: input.adminKey.keyHash, role: "admin", name: "initial admin key", createdAt: now }).run();
      return { ok: true, tenant: this.tenantView()!, adminKey: this.keyView(input.adminKey.id) };
    });
  }

  async getTenant(): Promise<Tenant | null> {
    return this.tenantView();
  }

  async createKey(input: CreateKeyRequest, key: NewKey, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ key: ApiKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      if (input.location && !this.locationRow(input.location)) return fail("unknown_location", `No location ${input.location}`);
      if (input.channel && !this.channelRow(input.channel)) return fail("unknown_channel", `No channel ${input.channel}`);
      const expiresAt = requestedExpiry(input.expiresAt, now);
      if (typeof expiresAt === "object" && expiresAt !== null) return expiresAt;
      this.db
        .insert(apiKeys)
        .values({ id: key.id, keyHash: key.keyHash, role: input.role, name: input.name ?? null, channel: input.channel ?? null, location: input.location ?? null, createdAt: now, expiresAt })
        .run();
      return { ok: true, key: this.keyView(key.id) };
    });
  }

  async listKeys(): Promise<ApiKey[]> {
    const now = this.now();
    return this.db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt)).all().map((row) => toApiKey(row, now));
  }

  /**
   * Checks a key by its digest: unknown, revoked or expired keys are refused.
   * Records the key's use when the recorded one is a minute old or more, so
   * a busy key costs one write a minute, not one per request.
   */
  async authenticate(keyHash: string): Promise<KeyCheck> {
    const key = this.statements.keyByHash.get({ keyHash });
    const tenantRow = key && this.tenantRow();
    if (!key || !tenantRow) return fail("unauthorized", "Unknown API key");
    const now = this.now();
    const refusal = keyRefusal(key, now);
    if (refusal) return refusal;
    if (key.lastUsedAt === null || now - key.lastUsedAt >= lastUsedResolutionMs) this.statements.touchKey.run({ id: key.id, now });
    const principal: Principal = { tenantId: tenantRow.id, keyId: key.id, role: key.role, channel: key.channel, location: key.location, lineage: key.lineage ?? key.id };
    return { ok: true, principal, validUntil: key.expiresAt, limits: tenantRow.rateLimits ?? defaultRateLimits };
  }

  async getRateLimits(): Promise<RateLimits> {
    return this.tenantRow()?.rateLimits ?? defaultRateLimits;
  }

  /** Sets the tenant's rate limits; the tenant-wide bucket starts again, full, at the new size. */
  async putRateLimits(limits: RateLimits, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ limits: RateLimits }>>> {
    const result = await this.idempotentTransaction(idempotency, () => {
      this.db.update(tenant).set({ rateLimits: limits }).run();
      return { ok: true as const, limits };
    });
    this.requestBucket = null;
    return result;
  }

  /**
   * Hands an edge isolate up to `wanted` requests of the tenant-wide budget
   * (perTenant). Every request any isolate admits was taken here first, so
   * the tenant as a whole never goes over its limit; tokens an isolate took
   * and did not use are lost (the limit errs on the strict side). With none
   * left: when one will be.
   */
  async leaseRequests(wanted: number): Promise<{ granted: number; retryAfterMs: number }> {
    const now = this.now();
    const limit = (this.tenantRow()?.rateLimits ?? defaultRateLimits).perTenant;
    if (!this.requestBucket) this.requestBucket = new TokenBucket(limit, now);
    const granted = this.requestBucket.take(wanted, now);
    return { granted, retryAfterMs: granted > 0 ? 0 : this.requestBucket.retryAfterMs(now) };
  }

  /** The location and channel a request is about (null when the tenant has no such thing). */
  async lookUp(needs: AuthorizeNeeds): Promise<{ location: Location | null; channel: Channel | null }> {
    return {
      location: needs.location === undefined ? null : this.locationView(needs.location),
      channel: needs.channel === undefined ? null : this.channelView(needs.channel),
    };
  }

  /**
   * Revokes a key for good. Revoking a revoked key answers it again. The
   * tenant's last usable admin key cannot be revoked: nobody could make
   * another (rotate it instead).
   */
  async revokeKey(id: string): Promise<Result<{ key: ApiKey }>> {
    return this.transaction(() => {
      const now = this.now();
      const row = this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
      if (!row) return fail("not_found", `No API key ${id}`);
      if (row.revokedAt !== null) return { ok: true, key: toApiKey(row, now) };
      if (row.role === "admin" && !keyRefusal(row, now) && this.otherUsableAdmins(id, now) === 0) {
        return fail("conflict", `API key ${id} is the tenant's last usable admin key; rotate it instead`);
      }
      this.db.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, id)).run();
      return { ok: true, key: this.keyView(id) };
    });
  }

  /**
   * Issues `successor` in place of key `id`, with the same role and binding.
   * The old key keeps working for the overlap (never longer than its own
   * expiry), then is refused as key_expired. A key is rotated once: its
   * successor is the one to rotate next.
   */
  async rotateKey(id: string, input: RotateKeyRequest, successor: NewKey, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ key: ApiKey; previous: ApiKey }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const row = this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
      if (!row) return fail("not_found", `No API key ${id}`);
      const rotation = rotationOf(row, input, now);
      if (!rotation.ok) return rotation;
      const expiresAt = rotation.successorExpiresAt;
      this.db
        .insert(apiKeys)
        .values({ id: successor.id, keyHash: successor.keyHash, role: row.role, name: row.name, channel: row.channel, location: row.location, createdAt: now, expiresAt, replaces: id, lineage: row.lineage ?? id })
        .run();
      this.db
        .update(apiKeys)
        .set({ replacedBy: successor.id, expiresAt: rotation.previousExpiresAt })
        .where(eq(apiKeys.id, id))
        .run();
      return { ok: true, key: this.keyView(successor.id), previous: this.keyView(id) };
    });
  }

  async putLocation(id: string, input: PutLocationRequest, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ location: Location; created: boolean }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const created = !this.locationRow(id);
      this.db
        .insert(locations)
        .values({ id, type: input.type, name: input.name ?? null, updatedAt: now })
        .onConflictDoUpdate({ target: locations.id, set: { type: input.type, name: input.name ?? null, updatedAt: now } })
        .run();
      return { ok: true, location: this.locationView(id)!, created };
    });
  }

  async listLocations(): Promise<Location[]> {
    return this.db.select().from(locations).orderBy(asc(locations.id)).all().map(toLocation);
  }

  async putChannel(id: string, rules: ChannelRules, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ channel: Channel; created: boolean }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const known = new Set(this.db.select({ id: locations.id }).from(locations).all().map((row) => row.id));
      const unknown = rules.locations.filter((location) => !known.has(location));
      if (unknown.length > 0) return fail("unknown_location", `No location ${unknown.join(", ")}`, { locations: unknown });
      const previous = this.channelRow(id);
      const values = { locations: rules.locations, bufferUnits: rules.bufferUnits, maxUnits: rules.maxUnits, maxPercent: rules.maxPercent, autoHot: rules.autoHot ?? null, updatedAt: now };
      this.db
        .insert(channels)
        .values({ id, ...values, version: 1 })
        .onConflictDoUpdate({ target: channels.id, set: { ...values, version: (previous?.version ?? 0) + 1 } })
        .run();
      return { ok: true, channel: this.channelView(id)!, created: !previous };
    });
  }

  async listChannels(): Promise<Channel[]> {
    return this.db.select().from(channels).orderBy(asc(channels.id)).all().map(toChannel);
  }

  /** Lists a connection under the tenant (or updates its entry): its own object holds the rest. */
  async recordConnection(entry: ConnectionEntry): Promise<void> {
    const values = { ...entry, updatedAt: this.now() };
    this.db.insert(connections).values(values).onConflictDoUpdate({ target: connections.id, set: values }).run();
  }

  async listConnections(): Promise<ConnectionEntry[]> {
    return this.db.select({ id: connections.id, type: connections.type, channel: connections.channel, enabled: connections.enabled }).from(connections).orderBy(asc(connections.id)).all();
  }

  /** Lists an ERP connection under the tenant (or updates its entry): its own object holds the rest. */
  async recordErpConnection(entry: ErpConnectionEntry): Promise<void> {
    const values = { ...entry, updatedAt: this.now() };
    this.db.insert(erpConnections).values(values).onConflictDoUpdate({ target: erpConnections.id, set: values }).run();
  }

  /** The tenant's ERP connections by id; `enabled` only: those the ledger nudges when it posts. */
  async listErpConnections(filter: { enabled?: true } = {}): Promise<ErpConnectionEntry[]> {
    const columns = { id: erpConnections.id, type: erpConnections.type, enabled: erpConnections.enabled };
    const query = this.db.select(columns).from(erpConnections);
    return (filter.enabled ? query.where(eq(erpConnections.enabled, true)) : query).orderBy(asc(erpConnections.id)).all();
  }

  /** What a tenant's health is read from: its store locations and its connections (channel and ERP), by id. */
  async healthSources(): Promise<{ stores: string[]; connections: string[]; erpConnections: string[] }> {
    return {
      stores: this.db.select({ id: locations.id }).from(locations).where(eq(locations.type, "store")).orderBy(asc(locations.id)).all().map((row) => row.id),
      connections: this.db.select({ id: connections.id }).from(connections).orderBy(asc(connections.id)).all().map((row) => row.id),
      erpConnections: this.db.select({ id: erpConnections.id }).from(erpConnections).orderBy(asc(erpConnections.id)).all().map((row) => row.id),
    };
  }

  /** Adds what an edge isolate counted: API calls for `month` (YYYY-MM), and throughput per hour and metric. */
  async addUsage(month: string, calls: number, throughput: ThroughputCount[] = []): Promise<void> {
    this.transaction(() => {
      if (calls > 0) {
        this.db
          .insert(apiUsage)
          .values({ month, calls })
          .onConflictDoUpdate({ target: apiUsage.month, set: { calls: sql`${apiUsage.calls} + ${calls}` } })
          .run();
      }
      for (const { hour, metric, count } of throughput) {
        this.db
          .insert(throughputHours)
          .values({ hour, metric, count })
          .onConflictDoUpdate({ target: [throughputHours.hour, throughputHours.metric], set: { count: sql`${throughputHours.count} + ${count}` } })
          .run();
      }
      if (throughput.length > 0) this.db.delete(throughputHours).where(lt(throughputHours.hour, this.now() - throughputKeptMs)).run();
    });
  }

  /** The throughput counted per hour since `from` (ms), oldest first. */
  async throughputSince(from: number): Promise<ThroughputCount[]> {
    return this.db.select().from(throughputHours).where(gte(throughputHours.hour, from)).orderBy(asc(throughputHours.hour)).all();
  }

  /** What the partner's usage report reads here: the month's API calls, the stores (now), and the connections whose objects count writes. */
  async usageOf(month: string): Promise<{ apiCalls: number; stores: string[]; connections: string[]; erpConnections: string[] }> {
    return {
      apiCalls: this.db.select({ calls: apiUsage.calls }).from(apiUsage).where(eq(apiUsage.month, month)).get()?.calls ?? 0,
      ...(await this.healthSources()),
    };
  }

  private tenantRow() {
    return this.statements.tenant.get();
  }

  private tenantView(): Tenant | null {
    const row = this.tenantRow();
    return row ? { id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString() } : null;
  }

  private keyView(id: string): ApiKey {
    return toApiKey(this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()!, this.now());
  }

  /** Admin keys other than `id` that are neither revoked nor expired at `now`. */
  private otherUsableAdmins(id: string, now: number): number {
    const usable = and(eq(apiKeys.role, "admin"), ne(apiKeys.id, id), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));
    return this.db.select({ count: sql<number>`count(*)` }).from(apiKeys).where(usable).get()!.count;
  }

  private locationRow(id: string) {
    return this.statements.locationById.get({ id });
  }

  private locationView(id: string): Location | null {
    const row = this.locationRow(id);
    return row ? toLocation(row) : null;
  }

  private channelRow(id: string) {
    return this.statements.channelById.get({ id });
  }

  private channelView(id: string): Channel | null {
    const row = this.channelRow(id);
    return row ? toChannel(row) : null;
  }
}

/** The statements every authorization runs, built once. */
function prepareStatements(db: DrizzleSqliteDODatabase<typeof schema>) {
  return {
    keyByHash: db.select().from(apiKeys).where(eq(apiKeys.keyHash, sql.placeholder("keyHash"))).prepare(),
    touchKey: db.update(apiKeys).set({ lastUsedAt: sql.placeholder("now") as unknown as number }).where(eq(apiKeys.id, sql.placeholder("id"))).prepare(),
    tenant: db.select().from(tenant).limit(1).prepare(),
    locationById: db.select().from(locations).where(eq(locations.id, sql.placeholder("id"))).prepare(),
    channelById: db.select().from(channels).where(eq(channels.id, sql.placeholder("id"))).prepare(),
  };
}

function toLocation(row: typeof locations.$inferSelect): Location {
  return { id: row.id, type: row.type, name: row.name, updatedAt: new Date(row.updatedAt).toISOString() };
}

function toChannel(row: typeof channels.$inferSelect): Channel {
  return {
    id: row.id,
    locations: row.locations,
    bufferUnits: row.bufferUnits,
    maxUnits: row.maxUnits,
    maxPercent: row.maxPercent,
    autoHot: row.autoHot,
    version: row.version,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
