import { and, asc, eq, gt, inArray, ne } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import type { Branding, CreatePartnerRequest, HostBranding, Partner, PartnerKey, PutBrandingRequest } from "../shared/schemas/partners.ts";
import type { ApiKey, CreateTenantRequest, Tenant } from "../shared/schemas/tenancy.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/platform-directory/migrations.js";
import { parseName, partnerDirectory, tenantRegistry } from "./objects.ts";
import * as schema from "./schema/platform-directory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import type { NewKey } from "./tenant-registry.ts";

const { tenants, partners, partnerHosts } = schema;

export type CreatedTenant = Result<{ tenant: Tenant; adminKey: ApiKey }>;
export type CreatedPartner = Result<{ partner: Partner; adminKey: PartnerKey }>;

/** Shelfsync's own brand, shown on any host no partner serves on. */
export const shelfsyncBrand: HostBranding = {
  partner: null,
  displayName: "Shelfsync",
  colors: { primary: "#1f6feb" },
  support: { url: "https://shelfsync.example/support" },
  logoUrl: null,
};

/**
 * The platform operator's single object: the tenants and the partners (each
 * tenant's partner, each partner's brand and the host names it serves on,
 * unique across partners), and the idempotency records of tenant and
 * partner creation, which cannot live in the new object (a retry that
 * changed the id would look in another one).
 */
export class PlatformDirectory extends ShelfsyncObject<typeof schema, Record<string, never>> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.platform });
  }

  /**
   * Creates a tenant once per Idempotency-Key, for the platform (partner
   * null) or a partner. Tenant creation is rare, so it runs one at a time
   * (blockConcurrencyWhile) across the call to the new tenant's registry: a
   * second request with the same key waits and replays.
   */
  async createTenant(input: CreateTenantRequest & { adminKey: NewKey; partner?: string | null }, idempotency: IdempotencyInput): Promise<Idempotent<CreatedTenant>> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const previous = this.storedAnswer<CreatedTenant>(idempotency);
      if (previous) return previous;
      // A tenant id is global: one taken (by anyone) is a conflict before its registry is asked.
      if (this.tenantRow(input.id)) return this.answer(idempotency, fail("conflict", `Tenant ${input.id} already exists`));
      // The registry keeps the same key: after a crash between these two
      // steps, the retry finds the tenant there and gets its first answer.
      const created = await tenantRegistry(this.env, input.id).createTenant({ id: input.id, name: input.name, adminKey: input.adminKey }, idempotency);
      this.transaction(() => {
        this.rememberAnswer(idempotency, this.now(), created.outcome);
        if (created.outcome.ok) {
          const { tenant } = created.outcome;
          this.db
            .insert(tenants)
            .values({ id: tenant.id, name: tenant.name, createdAt: Date.parse(tenant.createdAt), partner: input.partner ?? null })
            .onConflictDoNothing()
            .run();
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
    return this.tenantRow(id) !== undefined;
  }

  /** Whose a tenant is: `exists` false for an unknown tenant, `partner` null for the platform's own. A tenant never changes partner. */
  async tenantOwner(id: string): Promise<{ exists: boolean; partner: string | null }> {
    const row = this.tenantRow(id);
    return { exists: row !== undefined, partner: row?.partner ?? null };
  }

  /** Every tenant, or only those of one partner. */
  /** Tenants in id order: every one, or a partner's; with `after` and `limit`, a page of them (ids after `after`). */
  async listTenants(filter: { partner?: string; after?: string; limit?: number } = {}): Promise<Tenant[]> {
    const where = and(filter.partner === undefined ? undefined : eq(tenants.partner, filter.partner), filter.after === undefined ? undefined : gt(tenants.id, filter.after));
    const query = this.db.select().from(tenants).where(where).orderBy(asc(tenants.id));
    return (filter.limit === undefined ? query : query.limit(filter.limit))
      .all()
      .map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString(), partner: row.partner }));
  }

  /** Creates a partner and its first key, once per Idempotency-Key, as createTenant does a tenant. */
  async createPartner(input: CreatePartnerRequest & { adminKey: NewKey }, idempotency: IdempotencyInput): Promise<Idempotent<CreatedPartner>> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const previous = this.storedAnswer<CreatedPartner>(idempotency);
      if (previous) return previous;
      if (this.partnerRow(input.id)) return this.answer(idempotency, fail("conflict", `Partner ${input.id} already exists`));
      const created = await partnerDirectory(this.env, input.id).createPartner(input, idempotency);
      this.transaction(() => {
        this.rememberAnswer(idempotency, this.now(), created.outcome);
        if (created.outcome.ok) {
          const { partner } = created.outcome;
          this.db.insert(partners).values({ id: partner.id, name: partner.name, createdAt: Date.parse(partner.createdAt) }).onConflictDoNothing().run();
        }
      });
      await this.wakeBy(null);
      return created;
    });
  }

  /** Whether a partner was created: asked before any object is named after a partner taken from a request. */
  async hasPartner(id: string): Promise<boolean> {
    return this.partnerRow(id) !== undefined;
  }

  async listPartners(): Promise<Partner[]> {
    return this.db
      .select()
      .from(partners)
      .orderBy(asc(partners.id))
      .all()
      .map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.createdAt).toISOString() }));
  }

  /**
   * Sets a partner's brand and the host names it serves on, replacing its
   * previous ones. A host another partner serves on is a conflict and
   * nothing changes.
   */
  async putBranding(partnerId: string, input: PutBrandingRequest): Promise<Result<{ branding: Branding }>> {
    return this.transaction(() => {
      if (!this.partnerRow(partnerId)) return fail("not_found", `No partner ${partnerId}`);
      const taken = input.hosts.length === 0 ? [] : this.db.select().from(partnerHosts).where(and(inArray(partnerHosts.host, input.hosts), ne(partnerHosts.partner, partnerId))).all();
      if (taken.length > 0) return fail("conflict", `Another partner serves on ${taken.map((row) => row.host).join(", ")}`, { hosts: taken.map((row) => row.host) });
      const { hosts, ...branding } = input;
      this.db.delete(partnerHosts).where(eq(partnerHosts.partner, partnerId)).run();
      for (const host of hosts) this.db.insert(partnerHosts).values({ host, partner: partnerId }).run();
      this.db.update(partners).set({ branding, brandingUpdatedAt: this.now() }).where(eq(partners.id, partnerId)).run();
      return { ok: true, branding: this.brandingView(partnerId)! };
    });
  }

  /** A partner's brand; null when it has none yet (or no such partner). */
  async getBranding(partnerId: string): Promise<Branding | null> {
    return this.brandingView(partnerId);
  }

  /** Records that the partner's object holds a new logo. */
  async setLogo(partnerId: string, logo: { contentType: string; bytes: number; updatedAt: number }): Promise<void> {
    this.db.update(partners).set({ logo }).where(eq(partners.id, partnerId)).run();
  }

  /** The brand a request to `host` shows: the partner's that serves on it, else Shelfsync's. */
  async brandOfHost(host: string): Promise<HostBranding> {
    const claim = this.db.select().from(partnerHosts).where(eq(partnerHosts.host, host)).get();
    const branding = claim ? this.brandingView(claim.partner) : null;
    if (!branding) return shelfsyncBrand;
    return { partner: branding.partner, displayName: branding.displayName, colors: branding.colors, support: branding.support, logoUrl: branding.logo?.url ?? null };
  }

  private answer<T>(idempotency: IdempotencyInput, outcome: T): Idempotent<T> {
    this.transaction(() => this.rememberAnswer(idempotency, this.now(), outcome));
    return { outcome, replayed: false };
  }

  private tenantRow(id: string) {
    return this.db.select().from(tenants).where(eq(tenants.id, id)).get();
  }

  private partnerRow(id: string) {
    return this.db.select().from(partners).where(eq(partners.id, id)).get();
  }

  private brandingView(partnerId: string): Branding | null {
    const row = this.partnerRow(partnerId);
    if (!row?.branding) return null;
    const hosts = this.db.select({ host: partnerHosts.host }).from(partnerHosts).where(eq(partnerHosts.partner, partnerId)).orderBy(asc(partnerHosts.host)).all();
    const logo = row.logo
      ? { url: `/v1/partners/${partnerId}/branding/logo?v=${row.logo.updatedAt}`, contentType: row.logo.contentType, bytes: row.logo.bytes, updatedAt: new Date(row.logo.updatedAt).toISOString() }
      : null;
    return { partner: partnerId, ...row.branding, hosts: hosts.map((h) => h.host), logo, updatedAt: new Date(row.brandingUpdatedAt ?? row.createdAt).toISOString() };
  }
}
