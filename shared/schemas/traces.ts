import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common.ts";

export const Traceparent = z
  .string()
  .regex(/^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/, "a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, ids not all zeros")
  .openapi({ example: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });

export const TraceId = z
  .string()
  .regex(/^(?!0{32})[0-9a-f]{32}$/, "32 lowercase hex digits, not all zeros")
  .openapi({ example: "4bf92f3577b34da6a3ce929d0e0e4736" });

export const TraceHop = z
  .object({
    at: Timestamp,
    hop: z.string().openapi({ description: "pos.occurred (at the till), agent.recorded (committed at the store), edge.received, inventory.applied (stock moved at the SKU objects)…", example: "edge.received" }),
    where: z.string().openapi({ description: "The location, terminal or object the hop happened at." }),
    spanId: z.string().nullable(),
    detail: z.string().nullable(),
  })
  .openapi("TraceHop");
export type TraceHop = z.infer<typeof TraceHop>;

export const Trace = z
  .object({ traceId: TraceId, hops: z.array(TraceHop).openapi({ description: "Oldest first." }) })
  .openapi("Trace");
export type Trace = z.infer<typeof Trace>;
