import { and, asc, eq, sql } from "drizzle-orm";
import { fail, type FailureDetails, type Result } from "../shared/errors.ts";
import { canonicalJson, newId, sha256Hex } from "../shared/ids.ts";
import { proRata } from "../shared/money.ts";
import type { CreateReturnRequest, Order, ReceiveReturnRequest, Return } from "../shared/schemas/orders.ts";
import { EventOutbox } from "./event-outbox.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/tenant-returns/migrations.js";
import { parseName, skuObject, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/tenant-returns.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { returns, returnLines, receivedLines, orderTally, stockEffects, returnEvents } = schema;

/** What a return needs to know of its order: its lines' amounts and what was fulfilled. */
export type ReturnableOrder = Pick<Order, "id" | "currency" | "lines" | "fulfilled">;

export type ReturnResult = Result<{ return: Return }>;

/** How soon the alarm retries stock effects that could not be applied. */
const effectRetryMs = 5_000;

type EventDetail = FailureDetails;

/**
 * One per tenant: every return (RMA) of the tenant, and per order and SKU
 * the units already returned and received. Opening a return checks and
 * takes units from that tally in one transaction, so two returns of one
 * order can never both take the same fulfilled units.
 *
 * Receiving records the units, their refund and the stock effects in one
 * transaction; the effects (restock through the SKU object's `adjust`,
 * write-off through its `writeOff`) run right after with deterministic
 * Idempotency-Keys, and the alarm finishes any a crash left pending. Each
 * receipt also stages an `order.returned` event in its transaction.
 */
export class TenantReturns extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly outbox: EventOutbox;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
    this.outbox = new EventOutbox(this.db, env);
  }

  /**
   * Opens a return of `order`'s fulfilled units. Refused, with nothing
   * changed, when a SKU asks for more than was fulfilled and not already
   * returned across the order's returns. With an `externalKey` already
   * used, answers that return.
   */
  async open(order: ReturnableOrder, request: CreateReturnRequest, externalKey: string | null, idempotency?: IdempotencyInput): Promise<Idempotent<ReturnResult>> {
    return this.mutate(idempotency, (now): ReturnResult => {
      if (externalKey) {
        const known = this.db.select({ id: returns.id }).from(returns).where(eq(returns.externalKey, externalKey)).get();
        if (known) return { ok: true, return: this.returnView(known.id)! };
      }
      this.recordOrder(order);
      for (const line of request.lines) {
        const tally = this.tallyOf(order.id, line.sku);
        const fulfilled = order.fulfilled.filter((f) => f.sku === line.sku).reduce((total, f) => total + f.qty, 0);
        const returnable = tally ? Math.max(0, Math.min(fulfilled, tally.ordered) - tally.returned) : 0;
        if (line.qty > returnable) {
          return fail("return_exceeds_fulfilled", `Order ${order.id}: ${line.qty} of ${line.sku} asked, ${returnable} fulfilled and not already returned`, {
            sku: line.sku,
            requested: line.qty,
            returnable,
          });
        }
      }
      const id = newId("ret");
      this.db.insert(returns).values({ id, orderId: order.id, externalKey, status: "open", currency: order.currency, createdAt: now }).run();
      for (const line of request.lines) {
        this.db.insert(returnLines).values({ returnId: id, sku: line.sku, qty: line.qty, reason: line.reason, received: 0 }).run();
        this.db
          .update(orderTally)
          .set({ returned: sql`${orderTally.returned} + ${line.qty}` })
          .where(and(eq(orderTally.orderId, order.id), eq(orderTally.sku, line.sku)))
          .run();
      }
      this.event(id, now, "opened", { lines: request.lines.length, ...(externalKey ? { externalKey } : {}) });
      return { ok: true, return: this.returnView(id)! };
    });
  }

  /**
   * Records units of a return arriving at `location`, each line with its
   * disposition, and applies their stock effects. A SKU receiving more than
   * the return still expects refuses the whole receipt, nothing changed.
   */
  async receive(returnId: string, request: ReceiveReturnRequest, idempotency?: IdempotencyInput): Promise<Idempotent<ReturnResult>> {
    const result = await this.mutate(idempotency, (now): ReturnResult => {
      const row = this.db.select().from(returns).where(eq(returns.id, returnId)).get();
      if (!row) return fail("not_found", `No return ${returnId}`);
      const lines = this.db.select().from(returnLines).where(eq(returnLines.returnId, returnId)).all();
      for (const sku of new Set(request.lines.map((line) => line.sku))) {
        const asked = request.lines.filter((line) => line.sku === sku).reduce((total, line) => total + line.qty, 0);
        const line = lines.find((candidate) => candidate.sku === sku);
        const expected = line ? line.qty - line.received : 0;
        if (asked > expected) {
          return fail("return_exceeds_open", `Return ${returnId}: ${asked} of ${sku} received, ${expected} still expected`, { sku, received: asked, expected });
        }
      }
      const receipt = (this.db.select({ n: sql<number>`count(distinct ${receivedLines.receipt})` }).from(receivedLines).where(eq(receivedLines.returnId, returnId)).get()?.n ?? 0) + 1;
      let refund = 0;
      request.lines.forEach((line, index) => {
        const lineRefund = this.refundFor(row.orderId, line.sku, line.qty);
        refund += lineRefund;
        this.db.insert(receivedLines).values({ returnId, receipt, line: index + 1, sku: line.sku, qty: line.qty, location: request.location, disposition: line.disposition, refund: lineRefund, at: now }).run();
        this.db.update(returnLines).set({ received: sql`${returnLines.received} + ${line.qty}` }).where(and(eq(returnLines.returnId, returnId), eq(returnLines.sku, line.sku))).run();
        if (line.disposition !== "vendor_return") {
          const reference = `return:${returnId}:receipt:${receipt}:line:${index + 1}`;
          const kind = line.disposition === "restock" ? "restock" : "write_off";
          this.db.insert(stockEffects).values({ id: reference, returnId, kind, sku: line.sku, location: request.location, qty: line.qty, reference, state: "pending", createdAt: now }).run();
        }
      });
      const open = this.db.select({ qty: returnLines.qty, received: returnLines.received }).from(returnLines).where(eq(returnLines.returnId, returnId)).all();
      const status = open.every((line) => line.received >= line.qty) ? "received" : "partially_received";
      this.db.update(returns).set({ status }).where(eq(returns.id, returnId)).run();
      this.event(returnId, now, "received", { receipt, location: request.location, units: request.lines.reduce((total, line) => total + line.qty, 0), refund });
      this.outbox.stage(
        {
          type: "order.returned",
          tenantId: this.identity.tenantId,
          subject: `order:${row.orderId}`,
          data: {
            orderId: row.orderId,
            returnId,
            location: request.location,
            lines: request.lines.map(({ sku, qty, disposition }) => ({ sku, qty, disposition })),
            refund: { currency: row.currency, amount: refund },
          },
        },
        now,
      );
      return { ok: true, return: this.returnView(returnId)! };
    });
    await this.applyStockEffects();
    if (!(await this.outbox.flush())) await this.wakeBy(this.now() + effectRetryMs);
    return result;
  }

  async getReturn(returnId: string): Promise<ReturnResult> {
    const view = this.returnView(returnId);
    return view ? { ok: true, return: view } : fail("not_found", `No return ${returnId}`);
  }

  /** The returns of one order, oldest first. */
  async listForOrder(orderId: string): Promise<Return[]> {
    return this.db
      .select({ id: returns.id })
      .from(returns)
      .where(eq(returns.orderId, orderId))
      .orderBy(asc(returns.seq))
      .all()
      .map((row) => this.returnView(row.id)!);
  }

  protected override async onAlarm(): Promise<number | null> {
    await this.applyStockEffects();
    await this.outbox.flush();
    return this.retryAt();
  }

  /**
   * Runs every pending stock effect against its SKU object. Each carries a
   * deterministic Idempotency-Key, so running one twice (a retry, or the
   * alarm racing a request) moves stock once.
   */
  private async applyStockEffects(): Promise<void> {
    const pending = this.db.select().from(stockEffects).where(eq(stockEffects.state, "pending")).orderBy(asc(stockEffects.createdAt)).all();
    let retry = false;
    for (const effect of pending) {
      try {
        const state = await this.applyStockEffect(effect);
        const now = this.now();
        this.transaction(() => {
          const claimed = this.db.update(stockEffects).set({ state }).where(and(eq(stockEffects.id, effect.id), eq(stockEffects.state, "pending"))).returning().all();
          if (claimed.length > 0) {
            const type = state === "failed" ? "stock_failed" : effect.kind === "restock" ? "restocked" : "written_off";
            this.event(effect.returnId, now, type, { sku: effect.sku, location: effect.location, qty: effect.qty, reference: effect.reference });
          }
        });
      } catch {
        retry = true;
      }
    }
    if (retry) await this.wakeBy(this.now() + effectRetryMs);
  }

  private async applyStockEffect(effect: typeof stockEffects.$inferSelect): Promise<"applied" | "failed"> {
    const idempotency = { key: effect.id, requestHash: await sha256Hex(canonicalJson({ kind: effect.kind, location: effect.location, qty: effect.qty, reference: effect.reference })) };
    const stub = skuObject(this.env, this.identity.tenantId, effect.sku);
    const { outcome } =
      effect.kind === "restock"
        ? await stub.adjust({ location: effect.location, delta: effect.qty, reason: "return_restock", reference: effect.reference }, idempotency)
        : await stub.writeOff({ location: effect.location, qty: effect.qty, reason: "return_damaged", reference: effect.reference }, idempotency);
    return outcome.ok ? "applied" : "failed";
  }

  /**
   * The refund `qty` more received units of `sku` earn: the order's line
   * amount (unitPrice × qty − discount + tax) pro rata over the units
   * received so far across the order's returns, less what earlier receipts
   * took, so that the whole line refunds its amount to the unit.
   */
  private refundFor(orderId: string, sku: string, qty: number): number {
    const tally = this.tallyOf(orderId, sku)!;
    const before = proRata(tally.amount, tally.received, tally.ordered);
    const after = proRata(tally.amount, tally.received + qty, tally.ordered);
    this.db.update(orderTally).set({ received: tally.received + qty }).where(and(eq(orderTally.orderId, orderId), eq(orderTally.sku, sku))).run();
    return after - before;
  }

  /** Copies the order's units and amounts per SKU into the tally, once per SKU. */
  private recordOrder(order: ReturnableOrder): void {
    const perSku = new Map<string, { ordered: number; amount: number }>();
    for (const line of order.lines) {
      const sum = perSku.get(line.sku) ?? { ordered: 0, amount: 0 };
      perSku.set(line.sku, { ordered: sum.ordered + line.qty, amount: sum.amount + line.unitPrice * line.qty - line.discount + line.tax });
    }
    for (const [sku, { ordered, amount }] of perSku) {
      this.db.insert(orderTally).values({ orderId: order.id, sku, ordered, amount, returned: 0, received: 0 }).onConflictDoNothing().run();
    }
  }

  private tallyOf(orderId: string, sku: string) {
    return this.db.select().from(orderTally).where(and(eq(orderTally.orderId, orderId), eq(orderTally.sku, sku))).get();
  }

  private async mutate<T>(idempotency: IdempotencyInput | undefined, effect: (now: number) => T): Promise<Idempotent<T>> {
    const result = await this.idempotentTransaction(idempotency, effect);
    await this.wakeBy(this.retryAt());
    return result;
  }

  /** Soon while a stock effect or an event waits, else not for this object's own sake. */
  private retryAt(): number | null {
    const pendingEffect = this.db.select({ id: stockEffects.id }).from(stockEffects).where(eq(stockEffects.state, "pending")).limit(1).get();
    return pendingEffect || this.outbox.hasPending() ? this.now() + effectRetryMs : null;
  }

  private event(returnId: string, at: number, type: string, detail: EventDetail): void {
    this.db.insert(returnEvents).values({ returnId, type, detail, at }).run();
  }

  private returnView(returnId: string): Return | null {
    const row = this.db.select().from(returns).where(eq(returns.id, returnId)).get();
    if (!row) return null;
    const lines = this.db.select().from(returnLines).where(eq(returnLines.returnId, returnId)).all();
    const received = this.db.select().from(receivedLines).where(eq(receivedLines.returnId, returnId)).orderBy(asc(receivedLines.receipt), asc(receivedLines.line)).all();
    const events = this.db.select().from(returnEvents).where(eq(returnEvents.returnId, returnId)).orderBy(asc(returnEvents.seq)).all();
    return {
      id: row.id,
      orderId: row.orderId,
      status: row.status,
      lines: lines.map((line) => ({ sku: line.sku, qty: line.qty, reason: line.reason, received: line.received })),
      received: received.map((line) => ({
        receipt: line.receipt,
        sku: line.sku,
        qty: line.qty,
        location: line.location,
        disposition: line.disposition,
        refund: line.refund,
        at: new Date(line.at).toISOString(),
      })),
      refund: { currency: row.currency, amount: received.reduce((total, line) => total + line.refund, 0) },
      events: events.map((event) => ({ at: new Date(event.at).toISOString(), type: event.type, ...(event.detail ? { detail: event.detail } : {}) })),
      createdAt: new Date(row.createdAt).toISOString(),
    };
  }
}
