import type { JsonValue } from "./payload.ts";

/**
 * What a signed Shopify delivery must also be before it takes effect. The
 * signature covers the body only: the topic (X-Shopify-Topic) and the ids
 * travel in unsigned headers, so the topic is checked against the body's
 * shape, and freshness against the time the body itself records (signed),
 * as well as the X-Shopify-Triggered-At header.
 */

type Shape = (payload: Record<string, JsonValue>) => string | null;

const isObject = (value: JsonValue | null | undefined): value is Record<string, JsonValue> => typeof value === "object" && value !== null && !Array.isArray(value);

const order: Shape = (payload) => (Array.isArray(payload["line_items"]) && !("refund_line_items" in payload) ? null : "the body is not an order (no line_items)");

/** Each topic Shelfsync acts on: the shape its body must have, and which of its fields says when the event happened. */
const topics: Record<string, { shape: Shape; eventTime: string }> = {
  "orders/create": { shape: order, eventTime: "created_at" },
  "orders/cancelled": {
    shape: (payload) => order(payload) ?? (typeof payload["cancelled_at"] === "string" ? null : "the order in the body is not cancelled (cancelled_at is null)"),
    eventTime: "cancelled_at",
  },
  "refunds/create": {
    shape: (payload) => (Array.isArray(payload["refund_line_items"]) && "order_id" in payload && !("line_items" in payload) ? null : "the body is not a refund (no refund_line_items and order_id)"),
    eventTime: "created_at",
  },
};

/**
 * Why the body does not fit the topic the delivery claims; null when it
 * does, when the topic is not one Shelfsync acts on, or when the body is not
 * a JSON object at all (no other topic's body either: it goes on to be
 * recorded as a payload that does not map).
 */
export function topicMismatch(topic: string, payload: JsonValue | null): string | null {
  const expected = topics[topic];
  if (!expected || !isObject(payload)) return null;
  const reason = expected.shape(payload);
  return reason ? `${topic}: ${reason}` : null;
}

/**
 * Why the delivery is too old to act on: the event time its signed body
 * records, or the X-Shopify-Triggered-At header, before `now - maxAgeMs`.
 * Null when both are recent enough (a topic Shelfsync does not act on is not checked).
 */
export function staleness(topic: string, payload: JsonValue | null, triggeredAt: string | undefined, now: number, maxAgeMs: number): string | null {
  const expected = topics[topic];
  if (!expected || !isObject(payload)) return null;
  const field = payload[expected.eventTime];
  const happened = typeof field === "string" ? Date.parse(field) : Number.NaN;
  if (Number.isNaN(happened)) return `${topic}: the body has no ${expected.eventTime} to tell its age by`;
  const triggered = triggeredAt ? Date.parse(triggeredAt) : Number.NaN;
  if (triggeredAt !== undefined && Number.isNaN(triggered)) return `X-Shopify-Triggered-At is not a date: ${triggeredAt.slice(0, 40)}`;
  const oldest = Math.min(happened, Number.isNaN(triggered) ? happened : triggered);
  const ageSeconds = Math.round((now - oldest) / 1000);
  return now - oldest > maxAgeMs ? `${topic}: the event is ${ageSeconds} s old, more than the ${Math.round(maxAgeMs / 1000)} s this integration accepts` : null;
}
