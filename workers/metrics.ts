import { orderIndex, tenantRegistry } from "../durable/objects.ts";
import { hourOf, type Throughput, type ThroughputMetric } from "../shared/schemas/metrics.ts";

/** The Analytics Engine dataset the `METRICS` binding writes to (wrangler.toml). */
export const metricsDataset = "shelfsync_throughput";

/** What reading Analytics Engine's SQL API needs: set both as secrets where the edge is deployed. */
type MetricsReadEnv = { METRICS_ACCOUNT_ID?: string; METRICS_API_TOKEN?: string };

const hourMs = 3_600_000;
const countedAtEdge: Exclude<ThroughputMetric, "orders">[] = ["pos_transactions", "reservations"];

/**
 * The tenant's throughput per hour over the last `hours` (the current one
 * included; docs/decisions/0041-throughput-metrics.md): POS transactions and
 * reservations from Workers Analytics Engine where the edge has the SQL
 * API's account and token, else from the tenant's own hourly counters;
 * orders from the order index, where each order is counted exactly once.
 */
export async function throughputOf(env: Env, tenantId: string, hours: number, now = Date.now()): Promise<Throughput> {
  const to = hourOf(now);
  const from = to - (hours - 1) * hourMs;
  const read = env as Env & MetricsReadEnv;
  const fromAnalytics = read.METRICS_ACCOUNT_ID && read.METRICS_API_TOKEN;
  const [counted, orders] = await Promise.all([
    fromAnalytics ? analyticsEngineCounts(read.METRICS_ACCOUNT_ID!, read.METRICS_API_TOKEN!, tenantId, from) : tenantRegistry(env, tenantId).throughputSince(from),
    orderIndex(env, tenantId).createdPerHour(from),
  ]);
  const series = (metric: ThroughputMetric, rows: { hour: number; count: number }[]) => {
    const byHour = new Map(rows.map((row) => [row.hour, row.count]));
    const points = Array.from({ length: hours }, (_, i) => {
      const hour = from + i * hourMs;
      return { hour: new Date(hour).toISOString(), count: byHour.get(hour) ?? 0 };
    });
    return { metric, points };
  };
  return {
    from: new Date(from).toISOString(),
    to: new Date(to + hourMs).toISOString(),
    source: fromAnalytics ? "analytics_engine" : "edge",
    series: [...countedAtEdge.map((metric) => series(metric, counted.filter((row) => row.metric === metric))), series("orders", orders)],
  };
}

/**
 * Hourly sums from Analytics Engine's SQL API: each data point is one count
 * (`double1`) of a metric (`blob1`) for a tenant (`index1`), weighted by its
 * sample interval, as Cloudflare's docs say sampled data must be read.
 * Tenant ids are identifiers (letters, digits, `.`, `_`, `-`), safe to quote.
 */
async function analyticsEngineCounts(accountId: string, token: string, tenantId: string, from: number): Promise<{ hour: number; metric: string; count: number }[]> {
  if (!/^[A-Za-z0-9._-]+$/.test(tenantId)) throw new Error(`tenant id ${tenantId} cannot be quoted for the SQL API`);
  const query = `SELECT blob1 AS metric, toUInt32(toStartOfHour(timestamp)) AS hour, SUM(_sample_interval * double1) AS count
FROM ${metricsDataset}
WHERE index1 = '${tenantId}' AND timestamp >= toDateTime(${Math.floor(from / 1000)})
GROUP BY metric, hour ORDER BY hour FORMAT JSON`;
  const response = await fetch(`https://api.cloudflare.com/client/v4/accounts/${accountId}/analytics_engine/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: query,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`Analytics Engine SQL API answered ${response.status}`);
  const body = (await response.json()) as { data: { metric: string; hour: number | string; count: number | string }[] };
  return body.data.map((row) => ({ metric: row.metric, hour: Number(row.hour) * 1000, count: Math.round(Number(row.count)) }));
}
