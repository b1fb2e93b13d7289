import { randomBytes } from "node:crypto";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import type { AvailabilityChanges, BulkAvailability } from "../shared/schemas/availability.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import { createBenchTenant, startBenchEdge, type BenchEdge } from "./harness.ts";

/**
 * What every stock-out benchmark shares (`bench:connections`, one remote at a
 * time): the knobs, a fresh edge with a tenant and N stocked SKUs, a stock
 * PUT, the steady load, the connection's status, the change feed's times and
 * the final check against the channel's availability.
 */
export const skuCount = Number(process.env.BENCH_SKUS ?? 10_000);
export const seconds = Number(process.env.BENCH_SECONDS ?? 30);
export const changesPerSecond = Number(process.env.BENCH_RATE ?? 50);
export const concurrency = Number(process.env.BENCH_CONNECTIONS ?? 64);
export const port = Number(process.env.BENCH_PORT ?? 8797);
export const location = "wh-1";

export interface Change {
  sku: string;
  value: number;
  sentAt: number;
  ackedAt: number;
}

export const out = (line = "") => process.stdout.write(`${line}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;
export const s = (value: number) => `${(value / 1000).toFixed(1)} s`;
export const count = (value: number) => value.toLocaleString("en-US");
export const spread = (values: number[]) => `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}, max ${ms(Math.max(...values))}`;

export async function runPool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * A PUT or GET to the edge, sent once more when the socket it went out on was
 * closed under it (undici reusing a keep-alive connection the edge had just
 * closed: seen once on a loaded machine). Both are idempotent here.
 */
export async function edgeOnce<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof TypeError) || error.message !== "fetch failed") throw error;
    return send();
  }
}

export async function setStock(url: string, key: string, sku: string, value: number): Promise<Change> {
  const sentAt = Date.now();
  const answer = await edgeOnce(() => edgeRequest(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key, body: { onHand: value } }));
  if (answer.status !== 200) throw new Error(`PUT stock of ${sku} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { sku, value, sentAt, ackedAt: Date.now() };
}

export async function waitFor<T>(what: string, timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${s(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The remote holds every expected value (`remoteDone`, read at no cost to the edge), then the connection has nothing pending. */
export async function converged(url: string, admin: string, connectionId: string, remoteDone: () => boolean, timeoutMs: number): Promise<ConnectionStatus> {
  await waitFor("the remote to hold every expected value", timeoutMs, 100, () => (remoteDone() ? true : undefined));
  return waitFor("the connection to have nothing pending", timeoutMs, 250, async () => {
    const status = await edgeOnce(() => edgeCall<ConnectionStatus>(url, "GET", `/v1/connections/${connectionId}/status`, { key: admin }));
    return status.pending.skus === 0 ? status : undefined;
  });
}

/** When the read model recorded each SKU's latest change after `cursor` (the channel's change feed). */
export async function feedTimes(url: string, key: string, cursor: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (;;) {
    const page = await edgeCall<AvailabilityChanges>(url, "GET", `/v1/availability/changes?channel=web&cursor=${cursor}&limit=1000`, { key });
    for (const change of page.changes) times.set(change.sku, Date.parse(change.updatedAt));
    cursor = page.nextCursor;
    if (!page.hasMore) return times;
  }
}

export function statusLine(status: ConnectionStatus): string {
  const { budget, lastHour, syncLagMs } = status;
  return (
    `state ${status.state}; budget: limit ${budget.limit}, remaining ${budget.remaining}, restore ${budget.restoreRate}/s, used last minute ${budget.usedLastMinute}; ` +
    `last hour: ${lastHour.remoteWrites} writes, ${lastHour.skusConfirmed} SKUs confirmed, ${lastHour.throttled} throttled; ` +
    `syncLagMs (last hour): p50 ${syncLagMs.p50}, p99 ${syncLagMs.p99}, ${syncLagMs.samples} samples`
  );
}

/** A fresh edge with a tenant whose `web` channel is one warehouse, N SKUs stocked there 64 PUTs at a time; `onHand` is what was set. */
export interface StockedEdge {
  bench: BenchEdge;
  url: string;
  admin: string;
  skus: string[];
  onHand: Map<string, number>;
}

export async function stockedEdge(): Promise<StockedEdge> {
  const bench = await startBenchEdge(port, undefined, { CONNECTION_CREDENTIALS_KEY: randomBytes(32).toString("base64") });
  try {
    const url = bench.edge.url;
    const { admin } = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
    const skus = Array.from({ length: skuCount }, (_, i) => `SYNC-${String(i).padStart(6, "0")}`);
    const onHand = new Map<string, number>();
    const started = Date.now();
    await runPool(skus, concurrency, async (sku) => {
      const change = await setStock(url, admin, sku, 100 + (onHand.size % 50));
      onHand.set(sku, change.value);
    });
    out(`stocked ${count(skuCount)} SKUs in ${s(Date.now() - started)} (${concurrency} PUTs at a time)`);
    return { bench, url, admin, skus, onHand };
  } catch (error) {
    await bench.close();
    throw error;
  }
}

/** Told of each change just before its PUT is sent. */
export type OnSend = (sku: string, value: number) => void;

/** Every SKU changed at once, a PUT each, `concurrency` at a time; values 200–249, larger than any before. */
export async function putEach(edge: StockedEdge, onSend: OnSend = () => {}): Promise<{ changes: Change[]; madeIn: number }> {
  const changes: Change[] = [];
  const started = Date.now();
  await runPool(edge.skus, concurrency, async (sku) => {
    const value = 200 + (changes.length % 50);
    onSend(sku, value);
    const change = await setStock(edge.url, edge.admin, sku, value);
    changes.push(change);
    edge.onHand.set(sku, change.value);
  });
  return { changes, madeIn: Math.max(...changes.map((c) => c.ackedAt)) - started };
}

export function putEachLine(changes: Change[], madeIn: number): string {
  return `made at the edge in ${s(madeIn)} (${Math.round(changes.length / (madeIn / 1000))}/s; a PUT ${spread(changes.map((c) => c.ackedAt - c.sentAt))})`;
}

/**
 * `seconds` × `changesPerSecond` changes over random SKUs, each value larger
 * than any before; a SKU is never changed twice at once, so the edge applies
 * them in the order sent.
 */
export async function steadyLoad(edge: StockedEdge, onSend: OnSend = () => {}): Promise<{ changes: Change[]; offeredFor: number }> {
  let seed = 0x5eed;
  const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const inFlight = new Set<string>();
  const steady: Promise<Change>[] = [];
  const total = Math.round(seconds * changesPerSecond);
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / changesPerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    let sku: string;
    do {
      sku = edge.skus[Math.floor(random() * edge.skus.length)]!;
    } while (inFlight.has(sku));
    inFlight.add(sku);
    edge.onHand.set(sku, 1_000 + i);
    onSend(sku, 1_000 + i);
    steady.push(setStock(edge.url, edge.admin, sku, 1_000 + i).finally(() => inFlight.delete(sku)));
  }
  const changes = await Promise.all(steady);
  return { changes, offeredFor: Math.max(...changes.map((c) => c.sentAt)) - started };
}

/** Every SKU: the channel's availability is `expected`, and the remote holds it (`remote`); answers how many are wrong. */
export async function wrongSkus(edge: StockedEdge, expected: Map<string, number>, remote: (sku: string) => number | null): Promise<number> {
  let wrong = 0;
  for (let i = 0; i < edge.skus.length; i += 500) {
    const skus = edge.skus.slice(i, i + 500);
    const page = await edgeCall<BulkAvailability>(edge.url, "GET", `/v1/availability?channel=web&skus=${skus.join(",")}`, { key: edge.admin });
    const channel = new Map(page.items.map((row) => [row.sku, row.available]));
    for (const sku of skus) if (channel.get(sku) !== expected.get(sku) || remote(sku) !== channel.get(sku)) wrong += 1;
  }
  return wrong;
}
