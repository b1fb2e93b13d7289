import { and, asc, eq, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import { normalEmail, normalPhone } from "../shared/customer-contact.ts";
import { fail, type Result } from "../shared/errors.ts";
import { sha256Hex } from "../shared/ids.ts";
import {
  defaultCustomerSettings,
  type ContactField,
  type Customer,
  type CustomerLookupQuery,
  type CustomerMerge,
  type CustomerSettings,
  type PutCustomerRequest,
} from "../shared/schemas/customers.ts";
import { defaultLoyaltySettings, LoyaltySettings } from "../shared/schemas/loyalty.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/customer-directory/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/customer-directory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { customers, merges } = schema;

type CustomerRow = typeof customers.$inferSelect;

/** Why a customer could not be written: the codes PUT /v1/customers/{id} answers. */
export type CustomerWriteFault = "invalid_email" | "invalid_phone" | "conflict";

/** One row of a CRM import: `key` names it in the outcome (the import's row number). */
export interface CustomerImportRow {
  key: string;
  id: string;
  customer: PutCustomerRequest;
}

/** A row written, with the customer its points go to; or refused, with PUT's code, nothing of it written. */
export type CustomerImportOutcome = { key: string; ok: true; pointsTo: string } | { key: string; ok: false; code: CustomerWriteFault; detail: string };
type MergeRow = typeof merges.$inferSelect;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One per tenant, named by the tenant id: the tenant's customers, found by
 * their normalised email, phone or loyalty id; duplicates merged by the
 * tenant's rule and unmerged by hand; erasure; the customer settings and the
 * loyalty programme's settings (read by the loyalty routes with the customer
 * in one call). Contact is stored whole: masking for roles without the right
 * to personal data is the edge's (docs/decisions/0039-customers.md).
 */
export class CustomerDirectory extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly customerSettings = singleRow(this.db, schema.settings);
  private readonly loyaltySettings = singleRow(this.db, schema.loyaltySettings);
  /** Prepared (docs/decisions/0010): the store's loyalty hand-off looks up every customer of a page of sales. */
  private readonly lookups = {
    byId: this.db.select().from(customers).where(eq(customers.id, sql.placeholder("id"))).prepare(),
    byLoyaltyId: this.db.select().from(customers).where(eq(customers.loyaltyId, sql.placeholder("loyaltyId"))).orderBy(asc(customers.createdAt)).limit(1).prepare(),
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  /**
   * Creates or replaces customer `id` (fields left out become null). A
   * malformed email or phone changes nothing. With mergeDuplicates on, the
   * customer and every active customer sharing its email or phone are
   * compared: the oldest survives and each of the others that shares a field
   * with it is merged into it, unless the two were unmerged before. A merged
   * customer stays merged when written again; only unmerge undoes it.
   */
  async put(id: string, input: PutCustomerRequest): Promise<Result<{ customer: Customer }, CustomerWriteFault>> {
    const settings = this.currentSettings();
    return this.transaction(() => {
      const written = this.upsert(id, input, settings, this.now());
      return written.ok ? { ok: true, customer: toCustomer(written.row) } : written;
    });
  }

  /**
   * A CRM import's batch (at most `applyBatchRows`), in one transaction: each
   * row written as `put` writes it, in order, each seeing the rows before it
   * (a customer twice: the later row wins; a duplicate of an earlier row is
   * merged into it). Answers each row's outcome, with the customer its points
   * go to (the survivor, when it was merged: the one lookups and tills find),
   * and the loyalty programme, so the import credits opening balances without
   * another call. The same batch again changes nothing: a row equal to what
   * is stored keeps its updatedAt, and merges are made once.
   */
  async importCustomers(rows: CustomerImportRow[]): Promise<{ outcomes: CustomerImportOutcome[]; loyalty: LoyaltySettings }> {
    const settings = this.currentSettings();
    const outcomes = this.transaction(() => {
      const now = this.now();
      return rows.map(({ key, id, customer }): CustomerImportOutcome => {
        const written = this.upsert(id, customer, settings, now);
        if (!written.ok) return { key, ok: false, code: written.code, detail: written.detail };
        return { key, ok: true, pointsTo: this.survivorOf(written.row).id };
      });
    });
    return { outcomes, loyalty: await this.getLoyaltySettings() };
  }

  async get(id: string): Promise<Customer | null> {
    const row = this.row(id);
    return row ? toCustomer(row) : null;
  }

  /**
   * The customers whose email, phone or loyalty id is the one given (read
   * as `put` reads it), each as the customer it was merged into if it was,
   * once each, oldest first. No erased customer is answered: it has no
   * contact left to match, and neither has any customer merged into it
   * (erasure takes them too).
   */
  async find(query: CustomerLookupQuery): Promise<Result<{ customers: Customer[] }, "invalid_email" | "invalid_phone">> {
    const match = this.lookupCondition(query);
    if (!match.ok) return match;
    const survivors = new Map<string, CustomerRow>();
    for (const row of this.db.select().from(customers).where(match.condition).all()) {
      const survivor = this.survivorOf(row);
      survivors.set(survivor.id, survivor);
    }
    const found = [...survivors.values()].sort(oldestFirst);
    return { ok: true, customers: found.map(toCustomer) };
  }

  /**
   * Erases customer `id` and every customer merged into it (the same person
   * by the tenant's rule): email, phone, name and loyalty id become null, so
   * no lookup finds them; the rows stay, their ids the pseudonyms that
   * ledgers keep. Erasing again changes nothing.
   */
  async erase(id: string): Promise<Result<{ customer: Customer }, "not_found">> {
    return this.transaction(() => {
      if (!this.row(id)) return fail("not_found", `No customer ${id}`);
      const now = this.now();
      for (const erased of this.withMergedInto(id)) {
        this.db
          .update(customers)
          .set({ email: null, phone: null, name: null, loyaltyId: null, erasedAt: now, updatedAt: now })
          .where(and(eq(customers.id, erased), isNull(customers.erasedAt)))
          .run();
      }
      return { ok: true, customer: toCustomer(this.row(id)!) };
    });
  }

  /** Reverses the merge of customer `id` into another; the two are not merged again by the rule. */
  async unmerge(id: string, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ merge: CustomerMerge }, "not_found" | "conflict">>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const row = this.row(id);
      if (!row) return fail("not_found", `No customer ${id}`);
      if (row.mergedInto === null) return fail("conflict", `Customer ${id} is not merged into another`);
      // A customer has one merge not reversed at most: the one its mergedInto names.
      const merge = this.db
        .select()
        .from(merges)
        .where(and(eq(merges.customerId, id), eq(merges.survivorId, row.mergedInto), isNull(merges.unmergedAt)))
        .get()!;
      this.db.update(merges).set({ unmergedAt: now }).where(eq(merges.seq, merge.seq)).run();
      this.db.update(customers).set({ mergedInto: null, updatedAt: now }).where(eq(customers.id, id)).run();
      return { ok: true, merge: toMerge({ ...merge, unmergedAt: now }) };
    });
  }

  async getSettings(): Promise<CustomerSettings> {
    return this.currentSettings();
  }

  /** Replaces the settings; customers already stored are not read again (a merge happens when a customer is written). */
  async putSettings(settings: CustomerSettings): Promise<CustomerSettings> {
    this.customerSettings.put(settings);
    return this.currentSettings();
  }

  async getLoyaltySettings(): Promise<LoyaltySettings> {
    const row = this.loyaltySettings.get();
    return row ? LoyaltySettings.parse(row.settings) : defaultLoyaltySettings;
  }

  async putLoyaltySettings(settings: LoyaltySettings): Promise<LoyaltySettings> {
    this.loyaltySettings.put({ settings: LoyaltySettings.parse(settings) });
    return this.getLoyaltySettings();
  }

  /** What the loyalty routes need of a customer in one call: the customer as stored (erased or merged ones too; null if unknown) and the programme. */
  async loyaltyContext(customerId: string): Promise<{ customer: Customer | null; settings: LoyaltySettings }> {
    return { customer: await this.get(customerId), settings: await this.getLoyaltySettings() };
  }

  /**
   * The customer whose points each POS customer id moves: the customer with
   * that loyalty id, else the one with that id (as the customer it was
   * merged into, if it was); an id nobody has becomes a customer of its own
   * with it as loyalty id, signed up at the till without contact details.
   */
  async resolvePosCustomers(posIds: string[]): Promise<Record<string, string>> {
    return this.transaction(() => {
      const now = this.now();
      const resolved: Record<string, string> = {};
      for (const posId of posIds) {
        const holder = this.lookups.byLoyaltyId.get({ loyaltyId: posId }) ?? this.row(posId);
        if (holder) {
          resolved[posId] = this.survivorOf(holder).id;
          continue;
        }
        this.db.insert(customers).values({ id: posId, email: null, phone: null, name: null, loyaltyId: posId, createdAt: now, updatedAt: now, mergedInto: null, erasedAt: null }).run();
        resolved[posId] = posId;
      }
      return resolved;
    });
  }

  /**
   * The customer an order's contact is, for its points: the customer its id
   * names when the directory has one (a channel that sends the retailer's
   * own customer ids), else the oldest customer with its email, else a new
   * customer with that email and name, under an id made from the email
   * (`c-` and 16 hex digits of its SHA-256: no personal data in ids and
   * URLs). Each as the customer it was merged into, if it was. Null without
   * a known id or a well-formed email: a channel's own ids (Walmart's is an
   * order number) make no customer.
   */
  async resolveOrderCustomer(contact: { id?: string | undefined; email?: string | undefined; name?: string | undefined }): Promise<string | null> {
    const email = contact.email === undefined ? null : normalEmail(contact.email);
    const madeId = email?.ok ? `c-${(await sha256Hex(email.value)).slice(0, 16)}` : null;
    return this.transaction(() => {
      const named = contact.id === undefined ? undefined : this.row(contact.id);
      if (named && named.erasedAt === null) return this.survivorOf(named).id;
      if (!email?.ok || madeId === null) return null;
      const holder = this.db.select().from(customers).where(eq(customers.email, email.value)).orderBy(asc(customers.createdAt)).get();
      if (holder) return this.survivorOf(holder).id;
      // An erased customer keeps its id: a later order with the same email is someone new.
      let id = madeId;
      for (let n = 2; this.row(id); n++) id = `${madeId}-${n}`;
      const now = this.now();
      this.db.insert(customers).values({ id, email: email.value, phone: null, name: contact.name ?? null, loyaltyId: null, createdAt: now, updatedAt: now, mergedInto: null, erasedAt: null }).run();
      return id;
    });
  }

  /**
   * The one write of a customer, for `put` and `importCustomers`, inside the
   * caller's transaction: contact normalised (nothing written if it cannot
   * be), an erased id refused, the row replaced unless it already holds this
   * content (so writing the same again keeps updatedAt), then duplicates
   * merged by the tenant's rule.
   */
  private upsert(id: string, input: PutCustomerRequest, settings: CustomerSettings, now: number): Result<{ row: CustomerRow }, CustomerWriteFault> {
    const email = input.email === undefined ? null : normalEmail(input.email);
    if (email && !email.ok) return email;
    const phone = input.phone === undefined ? null : normalPhone(input.phone, settings.defaultCountry);
    if (phone && !phone.ok) return phone;
    const existing = this.row(id);
    if (existing && existing.erasedAt !== null) return fail("conflict", `Customer ${id} was erased: its id stays a pseudonym and takes no personal data again`);
    const contact = { email: email?.value ?? null, phone: phone?.value ?? null, name: input.name ?? null, loyaltyId: input.loyaltyId ?? null };
    const unchanged = existing && contact.email === existing.email && contact.phone === existing.phone && contact.name === existing.name && contact.loyaltyId === existing.loyaltyId;
    const written: CustomerRow = unchanged
      ? existing
      : { id, ...contact, createdAt: existing?.createdAt ?? now, updatedAt: now, mergedInto: existing?.mergedInto ?? null, erasedAt: null };
    if (!unchanged) this.db.insert(customers).values(written).onConflictDoUpdate({ target: customers.id, set: written }).run();
    if (settings.mergeDuplicates && written.mergedInto === null) this.mergeDuplicatesOf(written, now);
    return { ok: true, row: this.row(id)! };
  }

  private currentSettings(): CustomerSettings {
    const row = this.customerSettings.get();
    return row ? { mergeDuplicates: row.mergeDuplicates, defaultCountry: row.defaultCountry } : defaultCustomerSettings;
  }

  private row(id: string): CustomerRow | undefined {
    return this.lookups.byId.get({ id });
  }

  private lookupCondition(query: CustomerLookupQuery) {
    if (query.email !== undefined) {
      const email = normalEmail(query.email);
      return email.ok ? { ok: true as const, condition: eq(customers.email, email.value) } : email;
    }
    if (query.phone !== undefined) {
      const phone = normalPhone(query.phone, this.currentSettings().defaultCountry);
      return phone.ok ? { ok: true as const, condition: eq(customers.phone, phone.value) } : phone;
    }
    return { ok: true as const, condition: eq(customers.loyaltyId, query.loyaltyId!) };
  }

  private mergeDuplicatesOf(written: CustomerRow, now: number): void {
    const shares = [written.email !== null && eq(customers.email, written.email), written.phone !== null && eq(customers.phone, written.phone)].filter((condition) => condition !== false);
    if (shares.length === 0) return;
    const duplicates = this.db
      .select()
      .from(customers)
      .where(and(ne(customers.id, written.id), isNull(customers.mergedInto), isNull(customers.erasedAt), or(...shares)))
      .all()
      .filter((row) => !this.wereUnmerged(row.id, written.id));
    if (duplicates.length === 0) return;
    const [survivor, ...others] = [written, ...duplicates].sort(oldestFirst) as [CustomerRow, ...CustomerRow[]];
    for (const other of others) {
      const field = sharedField(other, survivor);
      if (field && !this.wereUnmerged(other.id, survivor.id)) this.merge(other.id, survivor.id, field, now);
    }
  }

  private merge(customerId: string, survivorId: string, field: ContactField, now: number): void {
    this.db.update(customers).set({ mergedInto: survivorId, updatedAt: now }).where(eq(customers.id, customerId)).run();
    this.db.insert(merges).values({ customerId, survivorId, field, mergedAt: now }).run();
  }

  private wereUnmerged(a: string, b: string): boolean {
    const pair = or(and(eq(merges.customerId, a), eq(merges.survivorId, b)), and(eq(merges.customerId, b), eq(merges.survivorId, a)));
    return this.db.select({ seq: merges.seq }).from(merges).where(and(pair, isNotNull(merges.unmergedAt))).limit(1).get() !== undefined;
  }

  /**
   * The customer a lookup answers for `row`: the end of its chain of merges.
   * Merges only ever go into a customer not merged itself, so a chain cannot
   * come back on itself.
   */
  private survivorOf(row: CustomerRow): CustomerRow {
    let current = row;
    while (current.mergedInto !== null) current = this.row(current.mergedInto)!;
    return current;
  }

  /** `id` and every customer merged into it, directly or through others. */
  private withMergedInto(id: string): string[] {
    const found = [id];
    for (let at = 0; at < found.length; at++) {
      const merged = this.db.select({ id: customers.id }).from(customers).where(eq(customers.mergedInto, found[at]!)).orderBy(asc(customers.id)).all();
      found.push(...merged.map((row) => row.id));
    }
    return found;
  }
}

function oldestFirst(a: CustomerRow, b: CustomerRow): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id);
}

function sharedField(a: CustomerRow, b: CustomerRow): ContactField | null {
  if (a.email !== null && a.email === b.email) return "email";
  if (a.phone !== null && a.phone === b.phone) return "phone";
  return null;
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    email: row.email,
    phone: row.phone,
    name: row.name,
    loyaltyId: row.loyaltyId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    mergedInto: row.mergedInto,
    erased: row.erasedAt !== null,
  };
}

function toMerge(row: MergeRow): CustomerMerge {
  return {
    customerId: row.customerId,
    survivorId: row.survivorId,
    field: row.field,
    mergedAt: iso(row.mergedAt),
    unmergedAt: row.unmergedAt === null ? null : iso(row.unmergedAt),
  };
}
