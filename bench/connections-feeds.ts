import { edgeCall } from "../scripts/edge-client.ts";
import type { CallLog, RemoteCall } from "./call-log.ts";
import { changesPerSecond, converged, count, edgeOnce, feedTimes, location, ms, out, putEach, putEachLine, s, skuCount, spread, statusLine, steadyLoad, wrongSkus, type StockedEdge } from "./connections-common.ts";

/**
 * The stock-out benchmark of a remote that takes many SKUs as one feed
 * (Walmart, Amazon): the first full sync, every SKU changed by one call,
 * every SKU changed at once by a PUT each, a steady load, and the check. The
 * remote's own part (its test server, its connection, what its calls are) is
 * a `FeedRemote`; the proxy in front of it records every call.
 */
export interface FeedRemote {
  name: string;
  connectionId: string;
  /** The test server's time from a feed's submission to its items applying: the floor depends on it. */
  feedProcessingMs: number;
  /** The proxy in front of the test server: its calls, the connection points at its url. */
  log: CallLog;
  /** The body of `PUT /v1/connections/{connectionId}`. */
  connection: unknown;
  /** The SKU's quantity the remote shows now at the connection's pool (null: none yet). */
  read(sku: string): number | null;
  /** What a call was for, in a word or two ("token", "feed submitted", "feed polled, not done", "single write"…). */
  kindOf(call: RemoteCall): string;
  /** Whether a call is one that a feed of every SKU needs at the least (the submission and what confirms it). */
  feedNeeds(call: RemoteCall): boolean;
  /** Any part of the first sync's floor beyond the feed (Amazon's product-type lookups). */
  syncFloorExtra(): { ms: number; text: string } | null;
  violations(): { count: number; detail: string };
  /** SKU values the remote has taken so far: single writes and feed items applied. */
  valuesApplied(): number;
  close(): Promise<void>;
}

interface Expectation {
  value: number;
  exact: boolean;
  at: number | undefined;
}

/** When the remote first showed each expected value: every outstanding SKU read from the test server every 100 ms. */
class RemoteWatch {
  readonly #open = new Map<string, Expectation[]>();
  readonly #read: (sku: string) => number | null;
  readonly #timer: NodeJS.Timeout;

  constructor(read: (sku: string) => number | null) {
    this.#read = read;
    this.#timer = setInterval(() => this.#tick(), 100);
  }

  /** Watches for the SKU to show `value` (exact) or that or more. */
  expect(sku: string, value: number, exact: boolean): Expectation {
    const expectation = { value, exact, at: undefined };
    this.#open.set(sku, [...(this.#open.get(sku) ?? []), expectation]);
    return expectation;
  }

  get done(): boolean {
    return this.#open.size === 0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    for (const [sku, list] of this.#open) {
      const shown = this.#read(sku);
      const left = list.filter((e) => {
        const met = shown !== null && (e.exact ? shown === e.value : shown >= e.value);
        if (met) e.at = now;
        return !met;
      });
      if (left.length === 0) this.#open.delete(sku);
      else this.#open.set(sku, left);
    }
  }
}

/** A test server's violations, counted and named by `label` (its kind or bucket). */
export function violationSummary<V>(list: readonly V[], label: (violation: V) => string): { count: number; detail: string } {
  return { count: list.length, detail: list.length > 0 ? ` (${[...new Set(list.map(label))].join(", ")})` : "" };
}

const latest = (values: number[]) => Math.max(...values);

/** What the connector did with the remote in a phase: calls by kind, and when the first went and the last came back. */
function callsLine(remote: FeedRemote, calls: RemoteCall[], started: number): string {
  const kinds = new Map<string, number>();
  for (const call of calls) kinds.set(remote.kindOf(call), (kinds.get(remote.kindOf(call)) ?? 0) + 1);
  const list = [...kinds].map(([kind, n]) => `${count(n)} ${kind}`).join(", ");
  return calls.length === 0 ? "no calls" : `${list}; first call at ${s(calls[0]!.startedAt - started)}, last answered at ${s(latest(calls.map((c) => c.endedAt)) - started)}`;
}

/** The floor of one feed carrying every SKU: the remote's processing time plus the calls it needs at the least, as long as they took here. */
function feedFloor(remote: FeedRemote, calls: RemoteCall[]): { ms: number; text: string } {
  const needed = calls.filter((call) => remote.feedNeeds(call));
  const byKind = new Map<string, { n: number; ms: number }>();
  for (const call of needed) {
    const kind = byKind.get(remote.kindOf(call)) ?? { n: 0, ms: 0 };
    byKind.set(remote.kindOf(call), { n: kind.n + 1, ms: kind.ms + call.endedAt - call.startedAt });
  }
  const callsMs = [...byKind.values()].reduce((sum, kind) => sum + kind.ms, 0);
  const parts = [...byKind].map(([kind, { n, ms: took }]) => `${n} ${kind} ${ms(took)}`).join(" + ");
  return { ms: remote.feedProcessingMs + callsMs, text: `processing ${s(remote.feedProcessingMs)} + ${parts}` };
}

const ratio = (measured: number, floor: number) => `${(measured / floor).toFixed(2)} × the floor`;

/** Runs a feed remote's benchmark on `edge` (stocked, not yet connected); true when the final check passed. */
export async function benchFeedRemote(edge: StockedEdge, remote: FeedRemote): Promise<boolean> {
  const watch = new RemoteWatch((sku) => remote.read(sku));
  const { url, admin, skus, onHand } = edge;
  let buffer = 0;
  const expected = () => new Map([...onHand].map(([sku, units]) => [sku, Math.max(0, units - buffer)]));
  const settle = (timeoutMs: number) => converged(url, admin, remote.connectionId, () => watch.done, timeoutMs);
  const violations = () => `violations ${remote.violations().count}${remote.violations().detail}`;
  try {
    // 0. The first full sync.
    let started = Date.now();
    let from = remote.log.calls.length;
    const synced = skus.map((sku) => watch.expect(sku, expected().get(sku)!, true));
    await edgeOnce(() => edgeCall(url, "PUT", `/v1/connections/${remote.connectionId}`, { key: admin, body: remote.connection }));
    let status = await settle(60 * 60_000);
    let calls = remote.log.calls.slice(from);
    let confirmedIn = latest(calls.map((c) => c.endedAt)) - started;
    const extra = remote.syncFloorExtra();
    const syncFeed = feedFloor(remote, calls);
    const syncFloor = syncFeed.ms + (extra?.ms ?? 0);
    out(`first full sync: the remote showed every SKU at ${s(latest(synced.map((e) => e.at!)) - started)}, the connection had confirmed all at ${s(confirmedIn)} after its PUT`);
    out(`  calls: ${callsLine(remote, calls, started)}; ${violations()}`);
    out(`  floor: ${extra ? `${extra.text} + ` : ""}one feed: ${syncFeed.text} = ${s(syncFloor)}; ${ratio(confirmedIn, syncFloor)}`);
    out();

    // 1. Every SKU's availability changed by one call (the channel's buffer): the read model and the connection alone.
    let cursor = status.cursor;
    buffer = 1;
    from = remote.log.calls.length;
    const oneCall = [...expected()].map(([sku, value]) => watch.expect(sku, value, true));
    started = Date.now();
    await edgeOnce(() => edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: [location], bufferUnits: buffer } }));
    const answeredIn = Date.now() - started;
    status = await settle(30 * 60_000);
    let indexed = await feedTimes(url, admin, cursor);
    calls = remote.log.calls.slice(from);
    confirmedIn = latest(calls.map((c) => c.endedAt)) - started;
    const floor = feedFloor(remote, calls);
    out(`${count(skuCount)} SKUs' availability changed by one call (the channel's buffer 0 → 1):`);
    out(`  answered in ${ms(answeredIn)}; ${indexed.size} changes in the read model's feed by ${s(latest([...indexed.values()]) - started)}`);
    out(`  remote showed every SKU at ${s(latest(oneCall.map((e) => e.at!)) - started)}; the connection had confirmed all at ${s(confirmedIn)}`);
    out(`  calls: ${callsLine(remote, calls, started)}; ${violations()}`);
    out(`  floor: one feed of ${count(skuCount)}: ${floor.text} = ${s(floor.ms)}; confirmed all in ${s(confirmedIn)}: ${ratio(confirmedIn, floor.ms)}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 2. Every SKU changed at once, a PUT each: the edge's own writes come first.
    cursor = status.cursor;
    from = remote.log.calls.length;
    let appliedBefore = remote.valuesApplied();
    const burstSeen = new Map<string, Expectation>();
    started = Date.now();
    const burst = await putEach(edge, (sku, value) => burstSeen.set(sku, watch.expect(sku, value - buffer, false)));
    status = await settle(30 * 60_000);
    indexed = await feedTimes(url, admin, cursor);
    calls = remote.log.calls.slice(from);
    confirmedIn = latest(calls.map((c) => c.endedAt)) - started;
    const seenAt = (sku: string) => burstSeen.get(sku)!.at!;
    out(`${count(skuCount)} SKUs changed at once, a PUT each:`);
    out(`  ${putEachLine(burst.changes, burst.madeIn)}`);
    out(`  in the read model by ${s(latest([...indexed.values()]) - started)}; remote showed every SKU at ${s(latest(skus.map(seenAt)) - started)} (change feed → remote ${spread(burst.changes.map((c) => seenAt(c.sku) - indexed.get(c.sku)!))})`);
    out(`  the connection had confirmed all at ${s(confirmedIn)}, ${s(confirmedIn - burst.madeIn)} after the last PUT's answer; SKU values sent ${count(remote.valuesApplied() - appliedBefore)}`);
    out(`  calls: ${callsLine(remote, calls, started)}; ${violations()}`);
    out(`  floor (one feed carries all, as in the step before): ${s(floor.ms)}; ${ratio(confirmedIn, floor.ms)}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 3. A steady stream of changes over random SKUs.
    cursor = status.cursor;
    from = remote.log.calls.length;
    appliedBefore = remote.valuesApplied();
    const steadySeen: Expectation[] = [];
    const { changes, offeredFor } = await steadyLoad(edge, (sku, value) => steadySeen.push(watch.expect(sku, value - buffer, false)));
    status = await settle(30 * 60_000);
    calls = remote.log.calls.slice(from);
    const lags = changes.map((c, i) => steadySeen[i]!.at! - c.sentAt);
    const applied = remote.valuesApplied() - appliedBefore;
    out(`steady load: ${changes.length} changes over ${s(offeredFor)} (${(changes.length / (offeredFor / 1000)).toFixed(1)}/s, ${changesPerSecond}/s offered), random SKUs:`);
    out(`  lag, PUT sent → the remote shows the value (or a later one): ${spread(lags)}`);
    out(`  of which the PUT: ${spread(changes.map((c) => c.ackedAt - c.sentAt))}`);
    out(`  SKU values sent to the remote: ${count(applied)} for ${count(changes.length)} changes over ${count(new Set(changes.map((c) => c.sku)).size)} SKUs; all shown by ${s(latest(steadySeen.map((e) => e.at!)) - changes[0]!.sentAt)} after the first PUT`);
    out(`  calls: ${callsLine(remote, calls, changes[0]!.sentAt)}; ${violations()}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 4. Every SKU: the remote holds the channel's availability, and that is what was set.
    const wrong = await wrongSkus(edge, expected(), (sku) => remote.read(sku));
    const ok = wrong === 0 && remote.violations().count === 0;
    out(`check: ${skuCount - wrong} of ${skuCount} SKUs hold the channel's availability on ${remote.name}, ${remote.violations().count} violations: ${ok ? "OK" : "FAILED"}`);
    return ok;
  } finally {
    watch.stop();
  }
}
