import { asc, eq, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { fail, type Result } from "../shared/errors.ts";
import type { ApiKey, Channel, ChannelRules, CreateKeyRequest, CreateTenantRequest, KeyRole, Location, PutLocationRequest, Tenant } from "../shared/schemas/tenancy.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/tenant-registry/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/tenant-registry.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { tenant, apiKeys, locations, channels, connections } = schema;

/** A connection as the tenant's list of them knows it. */
export interface ConnectionEntry {
  id: string;
  type: string;
  channel: string;
  enabled: boolean;
}

export interface Principal {
  tenantId: string;
  keyId: string;
  role: KeyRole;
  channel: string | null;
  location: string | null;
}

export interface NewKey {
  id: string;
  keyHash: string;
}

export interface AuthorizeNeeds {
  location?: string;
  channel?: string;
}

export type Authorization = Result<{ principal: Principal; location: Location | null; channel: Channel | null }>;

/**
 * One per tenant: its name, its API keys (hashed), its locations and its
 * channels. Every request of a tenant key is authorized here, in one call that
 * also returns the location and channel the request names.
 */
export class TenantRegistry extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly statements: ReturnType<typeof prepareStatements>;

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
      this.db
        .insert(apiKeys)
        .values({ id: key.id, keyHash: key.keyHash, role: input.role, name: input.name ?? null, channel: input.channel ?? null, location: input.location ?? null, createdAt: now })
        .run();
      return { ok: true, key: this.keyView(key.id) };
    });
  }

  async listKeys(): Promise<ApiKey[]> {
    return this.db.select({ id: apiKeys.id }).from(apiKeys).orderBy(asc(apiKeys.createdAt)).all().map(({ id }) => this.keyView(id));
  }

  /**
   * Finds the key by its digest and, in the same call, the location and
   * channel the request is about (null when the tenant has no such thing).
   */
  async authorize(keyHash: string, needs: AuthorizeNeeds): Promise<Authorization> {
    const key = this.statements.keyByHash.get({ keyHash });
    const tenantRow = key && this.tenantRow();
    if (!key || !tenantRow) return fail("unauthorized", "Unknown API key");
    const principal: Principal = { tenantId: tenantRow.id, keyId: key.id, role: key.role, channel: key.channel, location: key.location };
    const location = needs.location === undefined ? null : this.locationView(needs.location);
    const channel = needs.channel === undefined ? null : this.channelView(needs.channel);
    return { ok: true, principal, location, channel };
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
      const values = { locations: rules.locations, bufferUnits: rules.bufferUnits, maxUnits: rules.maxUnits, maxPercent: rules.maxPercent, updatedAt: now };
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

  private tenantRow() {
    return this.statements.tenant.get();
  }

  private tenantView(): Tenant | null {
    const row = this.tenantRow();
    return row ? { id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString() } : null;
  }

  private keyView(id: string): ApiKey {
    const row = this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()!;
    return { id: row.id, role: row.role, name: row.name, channel: row.channel, location: row.location, createdAt: new Date(row.createdAt).toISOString(), key: null };
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
    version: row.version,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
