import { createHash, randomUUID } from "node:crypto";
import type { CountryCode } from "libphonenumber-js/min";
import { normalEmail, normalPhone } from "../shared/customer-contact.ts";
import { eq, or } from "drizzle-orm";
import { AppError } from "../shared/errors.ts";
import type { Customer } from "../shared/schemas/customers.ts";
import type { LoyaltyAccount } from "../shared/schemas/loyalty.ts";
import type { PosCustomer } from "../shared/schemas/store-agent.ts";
import type { AgentDatabase } from "./db/client.ts";
import { customerContacts, loyaltyAllowances } from "./db/schema.ts";
import type { EdgeClient, EdgeOutcome } from "./edge-client.ts";
import { customerView, findAllowance, type LoyaltyAllowance } from "./loyalty-allowance.ts";
import { silentLogger, type Logger } from "./log.ts";

/** A till waits this long at most for the edge before the agent answers from what it knows. */
export const customerLookupTimeoutMs = 5_000;

export interface CustomerLookupOptions {
  store: AgentDatabase;
  edge: EdgeClient;
  location: string;
  /** The most points a lookup holds for the store (`--loyalty-hold-cap`); 0 places no hold. */
  holdCap: number;
  /** The hold's TTL (`--loyalty-hold-ttl`); unset, the tenant programme's. */
  holdTtlSeconds?: number;
  /** The country of phone numbers entered without + (`--phone-country`), for lookups by phone offline. */
  phoneCountry?: string;
  log?: Logger;
  clock?: () => number;
}

type EdgeAnswer = { kind: "found"; allowance: LoyaltyAllowance } | { kind: "not_found" } | { kind: "unreachable"; reason: string };

/**
 * Looks a customer up for the till (docs/decisions/0038, "The store
 * offline"). Online, it asks the edge for the customer and their points and
 * makes sure the store holds some of them at the edge: up to `holdCap` of
 * what is available, placed once and reused while it is active, unexpired
 * and unused here. It keeps what it learnt in `loyalty_allowances`, and
 * answers from there when the edge cannot be reached.
 *
 * @example
 * const customer = await lookup.find("LOY-0042"); // { customerId, balance, redeemableOffline, source: "edge", … }
 */
export class CustomerLookup {
  readonly #options: CustomerLookupOptions;
  readonly #log: Logger;
  readonly #clock: () => number;

  constructor(options: CustomerLookupOptions) {
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#clock = options.clock ?? Date.now;
  }

  /** The customer with this loyalty id, or with this id; 404 not_found if the edge has neither, 503 edge_unreachable if it cannot say and the store never saw them. */
  async find(loyaltyIdOrCustomerId: string): Promise<PosCustomer> {
    const answer = await this.#ask(loyaltyIdOrCustomerId, AbortSignal.timeout(customerLookupTimeoutMs));
    if (answer.kind === "found") return customerView(answer.allowance, "edge", this.#clock());
    if (answer.kind === "not_found") {
      // An erased customer's name must not outlive the erasure here.
      await this.#options.store.db
        .delete(loyaltyAllowances)
        .where(or(eq(loyaltyAllowances.customerId, loyaltyIdOrCustomerId), eq(loyaltyAllowances.loyaltyId, loyaltyIdOrCustomerId)));
      throw new AppError("not_found", `No customer with loyalty id or id ${loyaltyIdOrCustomerId}; a sale naming it as customerId still earns points (the edge signs the customer up)`);
    }
    const cached = await findAllowance(this.#options.store, loyaltyIdOrCustomerId);
    if (!cached) throw new AppError("edge_unreachable", `The edge cannot be reached (${answer.reason}) and this store has not looked this customer up before; the sale can still name them as customerId`);
    return customerView(cached, "cache", this.#clock());
  }

  /**
   * The customer with this email or phone: online the oldest the edge finds
   * (as the edge reads the contact, with the tenant's defaultCountry), with
   * a hold as `find` places one; offline the customer an earlier lookup of
   * the same contact here found. 422 invalid_email / invalid_phone for a
   * contact that cannot be read, 404 and 503 as `find`.
   */
  async findByContact(contact: { email: string } | { phone: string }): Promise<PosCustomer> {
    const digest = this.#contactDigest(contact);
    const signal = AbortSignal.timeout(customerLookupTimeoutMs);
    const holders = await this.#options.edge.customersByContact(contact, signal);
    if (holders.kind === "refused" && (holders.code === "invalid_email" || holders.code === "invalid_phone")) {
      throw new AppError(holders.code, `The edge cannot read that ${"email" in contact ? "email" : "phone number"}`);
    }
    const customer = holders.kind === "ok" ? { kind: "ok" as const, value: holders.value.customers[0] ?? null } : holders;
    const answer = await this.#answer(customer, signal);
    const { db } = this.#options.store;
    if (answer.kind === "found") {
      if (digest !== null) {
        const row = { customerId: answer.allowance.customerId, seenAt: this.#clock() };
        await db.insert(customerContacts).values({ digest, ...row }).onConflictDoUpdate({ target: customerContacts.digest, set: row });
      }
      return customerView(answer.allowance, "edge", this.#clock());
    }
    if (answer.kind === "not_found") {
      if (digest !== null) await db.delete(customerContacts).where(eq(customerContacts.digest, digest));
      throw new AppError("not_found", `No customer with that ${"email" in contact ? "email" : "phone number"}`);
    }
    const known = digest === null ? undefined : await db.select().from(customerContacts).where(eq(customerContacts.digest, digest)).get();
    const cached = known ? await findAllowance(this.#options.store, known.customerId) : undefined;
    if (!cached) throw new AppError("edge_unreachable", `The edge cannot be reached (${answer.reason}) and this store has not found a customer by that contact before`);
    return customerView(cached, "cache", this.#clock());
  }

  /** The contact as the agent reads it, hashed with the store's location; null if the agent cannot read it alone (a national phone number without --phone-country). */
  #contactDigest(contact: { email: string } | { phone: string }): string | null {
    let normal: string;
    if ("email" in contact) {
      const email = normalEmail(contact.email);
      if (!email.ok) throw new AppError("invalid_email", email.detail);
      normal = `email:${email.value}`;
    } else {
      const phone = normalPhone(contact.phone, (this.#options.phoneCountry ?? null) as CountryCode | null);
      if (!phone.ok) return null;
      normal = `phone:${phone.value}`;
    }
    return createHash("sha256").update(`shelfsync-contact\n${this.#options.location}\n${normal}`).digest("hex");
  }

  async #ask(key: string, signal: AbortSignal): Promise<EdgeAnswer> {
    return this.#answer(await this.#resolve(key, signal), signal);
  }

  /** The customer resolved (null: nobody), with their points and the store's hold, kept in `loyalty_allowances`. */
  async #answer(customer: EdgeOutcome<Customer | null>, signal: AbortSignal): Promise<EdgeAnswer> {
    const { edge } = this.#options;
    if (customer.kind !== "ok") return unreachable(customer);
    if (customer.value === null || customer.value.erased) return { kind: "not_found" };
    const account = await edge.loyaltyAccount(customer.value.id, signal);
    if (account.kind === "refused" && account.status === 404) return { kind: "not_found" };
    if (account.kind !== "ok") return unreachable(account);

    const cached = await this.#options.store.db.select().from(loyaltyAllowances).where(eq(loyaltyAllowances.customerId, customer.value.id)).get();
    const hold = this.#reusable(cached, account.value) ?? (await this.#placeHold(customer.value.id, account.value.available, signal));
    if (hold.kind === "unreachable") return hold;

    const figures = { loyaltyId: customer.value.loyaltyId, name: customer.value.name, balance: account.value.balance, asOf: this.#clock() };
    // A hold kept as it is keeps what the store recorded against it; a new one (or none) starts unused.
    const holdColumns = hold.kind === "kept" ? {} : { holdId: hold.id, heldPoints: hold.points, holdExpiresAt: hold.expiresAt, redeemedPoints: 0, redeemedBy: null };
    const [allowance] = await this.#options.store.db
      .insert(loyaltyAllowances)
      .values({ customerId: customer.value.id, ...figures, ...holdColumns })
      .onConflictDoUpdate({ target: loyaltyAllowances.customerId, set: { ...figures, ...holdColumns } })
      .returning();
    return { kind: "found", allowance: allowance! };
  }

  /** By loyalty id first, as the edge resolves a POS customer id; else by id, following a merge to the survivor. Null: nobody. */
  async #resolve(key: string, signal: AbortSignal): Promise<EdgeOutcome<Customer | null>> {
    const { edge } = this.#options;
    const holders = await edge.customersByLoyaltyId(key, signal);
    if (holders.kind !== "ok") return holders;
    if (holders.value.customers[0]) return { kind: "ok", value: holders.value.customers[0] };
    let customer = await edge.customer(key, signal);
    if (customer.kind === "ok" && customer.value.mergedInto !== null) customer = await edge.customer(customer.value.mergedInto, signal);
    if (customer.kind === "refused" && customer.status === 404) return { kind: "ok", value: null };
    return customer;
  }

  /** The store's hold, if the edge still lists it among the active ones, no sale here used it, and it has not expired by the agent's clock. */
  #reusable(cached: LoyaltyAllowance | undefined, account: LoyaltyAccount): { kind: "kept" } | null {
    if (!cached?.holdId || cached.redeemedBy !== null || cached.holdExpiresAt === null || cached.holdExpiresAt <= this.#clock()) return null;
    return account.holds.some((hold) => hold.id === cached.holdId) ? { kind: "kept" } : null;
  }

  /**
   * Holds min(available, cap) points at the edge. Its expiry is counted by
   * the agent's clock from before the request, so it is never later than
   * the edge's, whatever the two clocks say. A refusal (the points went
   * meanwhile) leaves the store without a hold.
   */
  async #placeHold(
    customerId: string,
    available: number,
    signal: AbortSignal,
  ): Promise<{ kind: "new"; id: string | null; points: number; expiresAt: number | null } | { kind: "unreachable"; reason: string }> {
    const { edge, location, holdCap, holdTtlSeconds } = this.#options;
    const none = { kind: "new" as const, id: null, points: 0, expiresAt: null };
    const points = Math.min(available, holdCap);
    if (points <= 0) return none;
    const askedAt = this.#clock();
    const placed = await edge.placeLoyaltyHold(
      customerId,
      { points, reference: `pos-lookup:${location}`, ...(holdTtlSeconds === undefined ? {} : { ttlSeconds: holdTtlSeconds }) },
      `agent-hold-${location}-${randomUUID()}`,
      signal,
    );
    if (placed.kind === "refused") {
      this.#log({ level: "warn", event: "loyalty_hold_refused", status: placed.status, code: placed.code });
      return none;
    }
    if (placed.kind !== "ok") return unreachable(placed);
    const ttlMs = Date.parse(placed.value.expiresAt) - Date.parse(placed.value.createdAt);
    return { kind: "new", id: placed.value.id, points: placed.value.points, expiresAt: askedAt + ttlMs };
  }
}

function unreachable(outcome: Exclude<EdgeOutcome<unknown>, { kind: "ok" }>): { kind: "unreachable"; reason: string } {
  return { kind: "unreachable", reason: outcome.kind === "refused" ? `${outcome.status} ${outcome.code}` : outcome.reason };
}
