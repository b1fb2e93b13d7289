import { EventMessage, type OutboundEvent } from "../../shared/schemas/events.ts";
import { logLine } from "../log.ts";
import { bookEvent, isBookedEvent } from "./finance.ts";
import { applyOrderPoints, isPointsEvent } from "./loyalty.ts";
import { EventTrace } from "./trace.ts";
import { orderReader, type OrderReader } from "./order-reader.ts";
import { spanInTrace, traceIdOf } from "../../shared/tracing.ts";
import { channelConnection, eventWebhook, exceptionQueue, shopifyIntegration, tenantRegistry } from "../../durable/objects.ts";

/** The queue every outbound event goes through, and where those that fail every retry end up. */
export const eventsQueue = "shelfsync-events";
export const deadEventsQueue = "shelfsync-events-dlq";

/** A retailer endpoint that takes longer than this is a failed attempt. */
const deliveryTimeoutMs = 10_000;
const maxRetryDelaySeconds = 3_600;

/**
 * The Worker's `queue` handler: `shelfsync-events` batches are delivered to
 * each tenant's webhook, `shelfsync-events-dlq` batches become exceptions.
 *
 * @example
 * export default { fetch: app.fetch, queue: handleEventBatch } satisfies ExportedHandler<Env>;
 */
export async function handleEventBatch(batch: MessageBatch, env: Env): Promise<void> {
  const handle = batch.queue === deadEventsQueue ? recordDeadEvent : deliverEvent;
  await Promise.all(batch.messages.map((message) => handle(message, env)));
}

/** Remotes whose connections take orders themselves and confirm shipments of those. */
const shippingRemotes: ReadonlySet<string> = new Set(["walmart", "amazon"]);

/**
 * Hands a fulfilment to the connections of the order's channel that confirm
 * shipments to their remote, each once per event: Walmart's and Amazon's
 * (a connection that did not take the order ignores it), and Shopify's when
 * the tenant's Shopify webhook brings its orders onto that channel, with the
 * event's span of the order's trace. Answers the connections that took it.
 * A failure fails the delivery: the queue retries the whole event.
 */
async function forwardFulfillment(env: Env, event: Extract<OutboundEvent, { type: "order.fulfilled" }>, traceparent: string | null): Promise<{ id: string; type: string }[]> {
  const { channel, externalId, lines, carrier, tracking } = event.data;
  const candidates = (await tenantRegistry(env, event.tenantId).listConnections()).filter((c) => c.channel === channel && c.enabled);
  const shopifyOrders = candidates.some((c) => c.type === "shopify") && (await shopifyIntegration(env, event.tenantId).getSettings())?.channel === channel;
  const connections = candidates.filter((c) => shippingRemotes.has(c.type) || (c.type === "shopify" && shopifyOrders));
  const taken = await Promise.all(connections.map((c) => channelConnection(env, event.tenantId, c.id).recordShipment(event.id, { externalId, lines, carrier, tracking }, traceparent)));
  return connections.filter((_, i) => taken[i]).map(({ id, type }) => ({ id, type }));
}

/**
 * The delay before attempt `attempts + 1`: the base (EVENT_RETRY_BASE_SECONDS),
 * doubled per attempt already made, at most an hour.
 */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(maxRetryDelaySeconds, Math.round(baseSeconds * 2 ** Math.max(0, attempts - 1)));
}

function parse(message: Message, queue: string): EventMessage | null {
  const parsed = EventMessage.safeParse(message.body);
  if (parsed.success) return parsed.data;
  // Nothing to deliver or record it as: it could never succeed, so it is dropped, loudly.
  logLine({ level: "error", message: "malformed event message dropped", queue, messageId: message.id, issues: parsed.error.issues.slice(0, 3).map((issue) => issue.message) });
  message.ack();
  return null;
}

/**
 * POSTs the event to the tenant's webhook, signed. A 2xx acknowledges it;
 * anything else (or no answer in time) is retried with backoff until the
 * queue's max_retries moves it to the dead letter queue. Without a webhook
 * configured there is nobody to tell: the event is acknowledged.
 */
async function deliverEvent(message: Message, env: Env): Promise<void> {
  const parsed = parse(message, eventsQueue);
  if (!parsed) return;
  const { event, replayOf } = parsed;
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000);
  const backoff = { delaySeconds: retryDelaySeconds(message.attempts, Number(env.EVENT_RETRY_BASE_SECONDS)) };
  const readOrder = "orderId" in event.data ? orderReader(env, { ...event, data: event.data }) : null;
  const trace = await EventTrace.of(event.traceparent === undefined && event.type === "order.returned" ? { ...event, traceparent: await orderTraceparent(readOrder!) } : event);
  let outcome: string;
  try {
    if (event.type === "order.fulfilled") {
      for (const connection of await forwardFulfillment(env, event, trace.traceparent)) trace.step("connector.shipment_queued", connection.id, `to ${connection.type}`);
    }
    if (isBookedEvent(event)) {
      const booked = await bookEvent(env, event, readOrder!);
      if (booked) trace.step("finance.booked", "ledger", booked);
    }
    if (isPointsEvent(event)) {
      const moved = await applyOrderPoints(env, event, readOrder!);
      if (moved) trace.step("loyalty.applied", moved.customerId, moved.detail);
    }
    const target = await eventWebhook(env, event.tenantId).sign(body, timestamp);
    if (!target) {
      outcome = "acknowledged without delivery: no event webhook is configured";
    } else {
      const response = await post(target.url, target.signature, event, body, timestamp, trace.traceparent);
      const host = new URL(target.url).host;
      if (!response.ok) {
        trace.step("webhook.failed", host, `attempt ${message.attempts}: HTTP ${response.status}`);
        await Promise.all([rememberFailure(env, event, message.attempts, `HTTP ${response.status} from ${host}`), trace.record(env)]);
        message.retry(backoff);
        return;
      }
      trace.step("webhook.delivered", host, `attempt ${message.attempts}: HTTP ${response.status}`);
      outcome = `delivered to ${host} (attempt ${message.attempts})`;
    }
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logLine({ level: "warn", message: "event delivery failed", tenantId: event.tenantId, eventId: event.id, type: event.type, attempt: message.attempts, traceId: trace.traceId ?? undefined, error: reason.slice(0, 300) });
    await Promise.all([rememberFailure(env, event, message.attempts, reason), trace.record(env)]);
    message.retry(backoff);
    return;
  }
  await trace.record(env);
  try {
    if (replayOf) await exceptionQueue(env, event.tenantId).completeReplay(replayOf, outcome);
    message.ack();
  } catch (error) {
    // Delivered, but its exception still says `retrying`: the redelivery (a duplicate the receiver drops) settles it.
    logLine({ level: "warn", message: "could not settle a replayed event's exception", eventId: event.id, exceptionId: replayOf, traceId: trace.traceId ?? undefined, error: String(error) });
    message.retry(backoff);
  }
}

/**
 * A return's receipt is a change of the order's: its event joins the order's
 * trace under a span of its own (the returns object keeps no trace). Undefined
 * for an order without one, or if the order cannot be read now.
 */
async function orderTraceparent(readOrder: OrderReader): Promise<string | undefined> {
  const traceId = await readOrder().then(
    (order) => order.traceId,
    () => null,
  );
  return traceId ? spanInTrace(traceId) : undefined;
}

async function post(url: string, signature: string, event: OutboundEvent, body: string, timestamp: number, traceparent: string | null): Promise<Response> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "shelfsync-event-id": event.id,
      "shelfsync-event-type": event.type,
      "shelfsync-timestamp": String(timestamp),
      "shelfsync-signature": signature,
      ...(traceparent ? { traceparent } : {}),
    },
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(deliveryTimeoutMs),
  });
  // Only the status matters; the body is not read, so release it.
  await response.body?.cancel();
  return response;
}

/** Kept so that, if the event dies, its exception says why; losing it only loses that detail. */
async function rememberFailure(env: Env, event: OutboundEvent, attempts: number, reason: string): Promise<void> {
  try {
    await eventWebhook(env, event.tenantId).recordFailure(event.id, { attempts, reason: reason.slice(0, 500) });
  } catch (error) {
    logLine({ level: "warn", message: "could not record an event delivery failure", eventId: event.id, error: String(error) });
  }
}

/**
 * An event that failed every retry becomes an `event_delivery_failed`
 * exception of its tenant (or, if it was a replay, reopens that one), with
 * the event as it was and its last failure. A person replays it once the
 * retailer's endpoint works again.
 */
async function recordDeadEvent(message: Message, env: Env): Promise<void> {
  const parsed = parse(message, deadEventsQueue);
  if (!parsed) return;
  const { event } = parsed;
  try {
    const failure = await eventWebhook(env, event.tenantId).failureOf(event.id);
    const exception = await exceptionQueue(env, event.tenantId).reportDeliveryFailure({
      type: "event_delivery_failed",
      naturalKey: `event_delivery_failed:${event.id}`,
      subject: event.subject,
      correlationId: event.id,
      payload: { stage: "delivery", event, attempts: failure?.attempts ?? 0, lastError: failure?.reason ?? null },
    });
    logLine({ level: "warn", message: "event delivery given up", tenantId: event.tenantId, eventId: event.id, type: event.type, exceptionId: exception.id, traceId: traceIdOf(event.traceparent) ?? undefined });
    message.ack();
  } catch (error) {
    logLine({ level: "error", message: "could not record a dead event", eventId: event.id, error: String(error) });
    message.retry();
  }
}
