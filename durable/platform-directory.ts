import { DurableObject } from "cloudflare:workers";
import { asc } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { Result } from "../shared/errors.ts";
import type { ApiKey, Tenant } from "../shared/schemas/tenancy.ts";
import { findIdempotent, pruneIdempotencyKeys, recordIdempotent, schedulePruneAlarm, type IdempotencyInput, type Idempotent } from "./idempotency.ts";
import migrations from "./migrations/platform-directory/migrations.js";
import * as schema from "./schema/platform-directory.ts";
import type { NewKey } from "./tenant-registry.ts";

const { tenants } = schema;

export type CreatedTenant = Result<{ tenant: Tenant; adminKey: ApiKey }>;

/**
 * The platform operator's single object: the list of tenants, and the
 * idempotency records of tenant creation, which cannot live in a tenant's own
 * registry (a retry that changed the tenant id would look in another one).
 */
export class PlatformDirectory extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  /**
   * Creates a tenant once per Idempotency-Key. Tenant creation is rare, so it
   * runs one at a time (blockConcurrencyWhile) across the call to the new
   * tenant's registry: a second request with the same key waits and replays.
   */
  async createTenant(input: { id: string; name: string; adminKey: NewKey }, idempotency: IdempotencyInput): Promise<Idempotent<CreatedTenant>> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const previous = findIdempotent<CreatedTenant>(this.db, idempotency);
      if (previous) return previous;
      // The registry keeps the same key: after a crash between these two
      // steps, the retry finds the tenant there and gets its first answer.
      const created = await this.env.TENANT_REGISTRY.getByName(input.id).createTenant(input, idempotency);
      this.ctx.storage.transactionSync(() => {
        recordIdempotent(this.db, idempotency, Date.now(), created.outcome);
        if (created.outcome.ok) {
          const { tenant } = created.outcome;
          this.db.insert(tenants).values({ id: tenant.id, name: tenant.name, createdAt: Date.parse(tenant.createdAt) }).onConflictDoNothing().run();
        }
      });
      await schedulePruneAlarm(this.ctx.storage, this.db);
      return created;
    });
  }

  async listTenants(): Promise<Tenant[]> {
    return this.db
      .select()
      .from(tenants)
      .orderBy(asc(tenants.id))
      .all()
      .map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString() }));
  }

  override async alarm(): Promise<void> {
    pruneIdempotencyKeys(this.db, Date.now());
    await schedulePruneAlarm(this.ctx.storage, this.db);
  }
}
