import { and, eq } from "drizzle-orm";
import { defaultMapping, type ErpImportType, type ErpMapping, type ErpMappingView } from "../shared/schemas/erp.ts";
import migrations from "./migrations/tenant-erp/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/tenant-erp.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { mappings, imports } = schema;

/** An import whose body stopped arriving this long ago (a dropped connection, a crash) may be sent again under its id. */
export const abandonedAfterMs = 60 * 60_000;

/** What an import id stands for when a POST names it. */
export type OpenedImport =
  | { state: "new" }
  /** Received before: the POST must carry the same body (checksum) to be answered with it. */
  | { state: "sealed"; type: ErpImportType; checksum: string }
  /** Its body is being received by another request now. */
  | { state: "receiving" }
  /** It was being received but stopped long ago: its staged rows must be discarded before it starts again. */
  | { state: "abandoned" };

/**
 * One per tenant: the column mappings of its ERP imports, and the index of
 * its imports, by id and by checksum, so that the same file is applied once
 * whether it comes back under the same id or another.
 */
export class TenantErp extends ShelfsyncObject<typeof schema, TenantIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  async putMapping(type: ErpImportType, mapping: ErpMapping): Promise<ErpMappingView> {
    const now = this.now();
    this.db.insert(mappings).values({ type, mapping, updatedAt: now }).onConflictDoUpdate({ target: mappings.type, set: { mapping, updatedAt: now } }).run();
    return { type, ...mapping, updatedAt: new Date(now).toISOString() };
  }

  /** The stored mapping, or the default (each field its own column) with `updatedAt: null`. */
  async getMapping(type: ErpImportType): Promise<ErpMappingView> {
    const row = this.db.select().from(mappings).where(eq(mappings.type, type)).get();
    return row ? { type, ...row.mapping, updatedAt: new Date(row.updatedAt).toISOString() } : { type, ...defaultMapping(type), updatedAt: null };
  }

  /** Claims `id` for a new import's body, or says what the id already stands for. */
  async openImport(id: string, type: ErpImportType): Promise<OpenedImport> {
    const now = this.now();
    return this.transaction((): OpenedImport => {
      const row = this.db.select().from(imports).where(eq(imports.id, id)).get();
      if (row?.status === "sealed") return { state: "sealed", type: row.type, checksum: row.checksum! };
      if (row && now - row.createdAt < abandonedAfterMs) return { state: "receiving" };
      this.db.insert(imports).values({ id, type, status: "receiving", checksum: null, createdAt: now }).onConflictDoUpdate({ target: imports.id, set: { type, createdAt: now } }).run();
      return row ? { state: "abandoned" } : { state: "new" };
    });
  }

  /**
   * Records the received body's checksum. If an earlier import of the same
   * type had the same body, answers its id and forgets this one, which must
   * not be applied.
   */
  async sealImport(id: string, type: ErpImportType, checksum: string): Promise<{ duplicateOf: string | null }> {
    return this.transaction(() => {
      const earlier = this.db
        .select({ id: imports.id })
        .from(imports)
        .where(and(eq(imports.type, type), eq(imports.checksum, checksum), eq(imports.status, "sealed")))
        .get();
      if (earlier && earlier.id !== id) {
        this.db.delete(imports).where(eq(imports.id, id)).run();
        return { duplicateOf: earlier.id };
      }
      this.db.update(imports).set({ status: "sealed", checksum }).where(eq(imports.id, id)).run();
      return { duplicateOf: null };
    });
  }

  /** Frees an id whose body was refused whole (a header that does not fit the mapping, a body that is not JSON). */
  async dropImport(id: string): Promise<void> {
    this.db.delete(imports).where(and(eq(imports.id, id), eq(imports.status, "receiving"))).run();
  }
}
