import { Throughput, ThroughputQuery } from "../../shared/schemas/metrics.ts";
import { authorize } from "../auth.ts";
import { throughputOf } from "../metrics.ts";
import { createRouter, json, routesOf } from "../openapi.ts";

const metrics = routesOf("Metrics");

const readThroughput = metrics.get("/v1/metrics/throughput", "getThroughput", {
  summary: "The tenant's throughput per hour: POS transactions accepted, reservations taken, orders admitted",
  description:
    "One point per hour over the last `hours` (24 by default), the current hour included, for the console's charts. POS transactions and reservations come from Workers Analytics Engine where the edge can read it (`source: analytics_engine`), else from counters the edge keeps per hour (`source: edge`, which may undercount by what an isolate had not yet added when it was evicted); orders from the order index, exactly. docs/decisions/0041-throughput-metrics.md.",
  request: { query: ThroughputQuery },
  responses: { 200: json(Throughput, "The series") },
});

export const metricsRoutes = createRouter().openapi(readThroughput, async (c) => {
  const { principal } = await authorize(c, { roles: ["admin", "readonly"] });
  return c.json(await throughputOf(c.env, principal.tenantId, c.req.valid("query").hours), 200);
});
