/**
 * W3C Trace Context (traceparent: `00-<trace id, 32 hex>-<parent id, 16 hex>-<flags, 2 hex>`):
 * a POS transaction's trace starts at the terminal (or at the agent if the
 * terminal sent none) and its hops are recorded along the way
 * (docs/decisions/0037-tracing.md).
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context of a traceparent header, or null when it is absent, malformed or all zeros (invalid per the spec). */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  const match = header ? pattern.exec(header.trim()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return null;
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

/** The trace id of a traceparent header, or null. */
export function traceIdOf(header: string | null | undefined): string | null {
  return parseTraceparent(header)?.traceId ?? null;
}

function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new span in trace `traceId` (sampled), for a change that joins a trace whose parent span is not known. */
export function spanInTrace(traceId: string): string {
  return `00-${traceId}-${randomHex(8)}-01`;
}

/**
 * A span of its own under `parent` (same trace), or the first span of a new
 * trace when there is no valid parent.
 *
 * @example
 * childTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") // "00-4bf92f3577b34da6a3ce929d0e0e4736-<16 new hex>-01"
 */
export function childTraceparent(parent: string | null | undefined): string {
  const context = parseTraceparent(parent);
  return `00-${context?.traceId ?? randomHex(16)}-${randomHex(8)}-${context?.flags ?? "01"}`;
}
