import { CreateOrderRequest } from "../../shared/schemas/orders.ts";
import { describeIssues } from "../../shared/schemas/store-transactions.ts";
import { exceptionQueue, orderIdOf, orderProcess } from "../objects.ts";
import { remoteOrders } from "../schema/channel-connection.ts";
import type { PushLedger } from "./push-ledger.ts";
import type { RemoteLine } from "./shipment-plan.ts";

/** A remote that sends orders onto a channel. */
export type OrderRemote = "walmart" | "amazon";

const names: Record<OrderRemote, string> = { walmart: "Walmart", amazon: "Amazon" };

/**
 * What the order pulls of every remote share: a remote's order recorded as
 * a canonical order under its natural key (channel, external id), so a second
 * listing of the same order is a no-op; an order that cannot be recorded as
 * one `channel_order_unmapped` exception; a cancellation applied once.
 */
export class ChannelOrders {
  constructor(
    private readonly ledger: PushLedger,
    private readonly remote: OrderRemote,
  ) {}

  /**
   * Records the order (`canonical`, not yet validated) and keeps its lines
   * (and marketplace) to confirm shipments against; null when recorded (now or before), else
   * why not, after reporting it as an exception.
   */
  async record(externalId: string, canonical: unknown, lines: RemoteLine[], marketplaceId: string | null = null): Promise<string | null> {
    const refusal = await this.submit(canonical, externalId, lines, marketplaceId);
    if (refusal) await this.reportUnmapped(externalId, refusal);
    return refusal;
  }

  /** Cancels the recorded order, once; an order not recorded, already cancelled or fulfilled is left as it is. */
  async cancel(externalId: string): Promise<void> {
    const { tenantId } = this.ledger.options.identity;
    const orderId = await orderIdOf(tenantId, this.ledger.connection.channel, externalId);
    const process = orderProcess(this.ledger.options.env, tenantId, orderId);
    const known = await process.get(null);
    if (!known.ok || known.order.status === "cancelled" || known.order.status === "fulfilled") return;
    const key = `${this.remote}-cancel:${externalId}`;
    await process.cancel({ reason: `cancelled on ${names[this.remote]}` }, null, { key, requestHash: key });
  }

  private async submit(canonical: unknown, externalId: string, lines: RemoteLine[], marketplaceId: string | null): Promise<string | null> {
    const { tenantId } = this.ledger.options.identity;
    const parsed = CreateOrderRequest.safeParse(canonical);
    if (!parsed.success) return `does not map: ${describeIssues(parsed.error)}`;
    const request = parsed.data;
    const answer = await orderProcess(this.ledger.options.env, tenantId, await orderIdOf(tenantId, request.channel, request.externalId)).submit(request);
    if (!answer.ok) return `${answer.code}: ${answer.detail}`;
    // Its lines, to confirm shipments against later (kept as first recorded).
    this.ledger.db.insert(remoteOrders).values({ externalId, lines, recordedAt: this.ledger.now(), marketplaceId }).onConflictDoNothing().run();
    return null;
  }

  private async reportUnmapped(externalId: string, reason: string): Promise<void> {
    const { tenantId, connectionId } = this.ledger.options.identity;
    const { channel } = this.ledger.connection;
    await exceptionQueue(this.ledger.options.env, tenantId).record([
      {
        naturalKey: `channel_order_unmapped:${connectionId}:${externalId}`,
        type: "channel_order_unmapped",
        subject: `order:${externalId}@${connectionId}`,
        correlationId: externalId,
        payload: { connection: connectionId, remote: this.remote, channel, externalId, reason },
      },
    ]);
  }
}
