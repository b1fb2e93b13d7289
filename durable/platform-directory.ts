import { asc, eq } from "drizzle-orm";
import type { Result } from "../shared/errors.ts";
import type { ApiKey, CreateTenantRequest, Tenant } from "../shared/schemas/tenancy.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/platform-directory/migrations.js";
import { parseName, tenantRegistry } from "./objects.ts";
import * as schema from "./schema/platform-directory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import type { NewKey } from "./tenant-registry.ts";

const { tenants } = schema;

export type CreatedTenant = Result<{ tenant: Tenant; adminKey: ApiKey }>;

/**
 * The platform operator's single object: the list of tenants, and the
 * idempotency records of tenant creation, which cannot live in a tenant's own
 * registry (a retry that changed the tenant id would look in another one).
 */
export class PlatformDirectory extends ShelfsyncObject<typeof schema, Record<string, never>> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.platform });
  }

  /**
   * Creates a tenant once per Idempotency-Key. Tenant creation is rare, so it
   * runs one at a time (blockConcurrencyWhile) across the call to the new
   * tenant's registry: a second request with the same key waits and replays.
   */
  async createTenant(input: CreateTenantRequest & { adminKey: NewKey }, idempotency: IdempotencyInput): Promise<Idempotent<CreatedTenant>> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const previous = this.storedAnswer<CreatedTenant>(idempotency);
      if (previous) return previous;
      // The registry keeps the same key: after a crash between these two
      // steps, the retry finds the tenant there and gets its first answer.
      const created = await tenantRegistry(this.env, input.id).createTenant(input, idempotency);
      this.transaction(() => {
        this.rememberAnswer(idempotency, this.now(), created.outcome);
        if (created.outcome.ok) {
          const { tenant } = created.outcome;
          this.db.insert(tenants).values({ id: tenant.id, name: tenant.name, createdAt: Date.parse(tenant.createdAt) }).onConflictDoNothing().run();
        }
      });
      await this.wakeBy(null);
      return created;
    });
  }

  /**
   * Whether a tenant was created (a read of this object only). The edge asks
   * this before it names any object after a tenant taken from a request, so
   * a made-up tenant never brings an object of its own into being.
   */
  async hasTenant(id: string): Promise<boolean> {
    return this.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, id)).get() !== undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    return this.db
      .select()
      .from(tenants)
      .orderBy(asc(tenants.id))
      .all()
      .map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString() }));
  }
}
