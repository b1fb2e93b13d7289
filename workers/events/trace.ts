import { recordHops } from "../../durable/trace-hops.ts";
import type { HopRecord } from "../../durable/trace-log.ts";
import { sha256Hex } from "../../shared/ids.ts";
import type { OutboundEvent } from "../../shared/schemas/events.ts";
import { parseTraceparent } from "../../shared/tracing.ts";

/**
 * The hops one delivery of an event adds to the event's trace
 * (docs/decisions/0037): the change the event reports, at the time it
 * happened, then each step the delivery takes (a shipment handed to a
 * channel's connection, the books, the points, the webhook). Every attempt
 * of an event has the same span, derived from the event's id, so a step a
 * retry takes again is kept once (the trace log drops a hop it has with the
 * same span and detail); webhook attempts differ by their number. An event
 * without a trace records nothing.
 *
 * @example
 * const trace = await EventTrace.of(event);
 * trace.step("finance.booked", "ledger", "sale of 2 units");
 * await trace.record(env);
 */
export class EventTrace {
  readonly #hops: HopRecord[] = [];

  private constructor(
    private readonly event: OutboundEvent,
    readonly traceId: string | null,
    private readonly spanId: string | null,
    /** The traceparent the webhook POST sends: the event's span in the event's trace. */
    readonly traceparent: string | null,
  ) {}

  static async of(event: OutboundEvent): Promise<EventTrace> {
    const context = parseTraceparent(event.traceparent);
    if (!context) return new EventTrace(event, null, null, null);
    const spanId = (await sha256Hex(`shelfsync-event\n${event.id}`)).slice(0, 16);
    const trace = new EventTrace(event, context.traceId, spanId, `00-${context.traceId}-${spanId}-${context.flags}`);
    trace.step(event.type, whereOf(event), describe(event), Date.parse(event.occurredAt));
    return trace;
  }

  step(hop: string, where: string, detail: string | null, at = Date.now()): void {
    if (this.traceId === null) return;
    this.#hops.push({ traceId: this.traceId, at, hop, location: where, spanId: this.spanId, detail });
  }

  /** Records the hops; a trace log that cannot be reached loses them, never the delivery. */
  async record(env: Env): Promise<void> {
    if (this.#hops.length > 0) await recordHops(env, this.event.tenantId, this.#hops.splice(0));
  }
}

/** Where the change happened: the location that shipped or took back units, else the order's channel. */
function whereOf(event: OutboundEvent): string {
  switch (event.type) {
    case "order.fulfilled":
    case "order.returned":
      return event.data.location;
    default:
      return event.data.channel;
  }
}

function units(lines: readonly { sku: string; qty: number }[]): string {
  return lines.map((line) => `${line.sku}×${line.qty}`).join(", ");
}

/** One line on what the event reports: ids and units, never personal data. */
function describe(event: OutboundEvent): string {
  switch (event.type) {
    case "order.created":
      return `${event.data.externalId}: ${units(event.data.lines)}`;
    case "order.reserved":
      return event.data.allocations.map((a) => `${a.sku}@${a.location}×${a.qty}`).join(", ");
    case "order.fulfilled":
      return units(event.data.lines) + (event.data.carrier ? ` by ${event.data.carrier}` : "");
    case "order.cancelled":
      return units(event.data.lines) + (event.data.reason ? `: ${event.data.reason}` : "");
    case "order.returned":
      return `${event.data.returnId}: ${units(event.data.lines)}`;
    case "availability.changed":
      return `${event.data.sku}: ${event.data.available}`;
  }
}
