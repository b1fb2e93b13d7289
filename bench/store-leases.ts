import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import { benchPlatformKey, hostLabel, machineLine, median, startBenchEdge } from "./harness.ts";

/**
 * A simulated trading day at one store that also ships web orders
 * (docs/decisions/0033-store-leases.md): the store loses its link for a few
 * hours while web orders go on, once without leases, once with a fixed lease
 * and once with a lease sized from the previous day's sales. Same seeded
 * events in each; prints, per policy, the reservations_short exceptions the
 * edge raised, the web orders the store could not pick, the web orders
 * refused and the store's lost sales.
 *
 * The store's side speaks the store protocol exactly as its agent replays
 * (POST /v1/stores/{location}/transactions; each sale at once while online,
 * the outage's sales in order when the link returns): what is measured here
 * is the policy, while the agent's own replay is proven by the end-to-end
 * tests. Time is simulated: the events run in order, as fast as the edge
 * answers, with the till's time on each sale.
 */
const port = Number(process.env.BENCH_PORT ?? 8797);
const days = Number(process.env.BENCH_DAYS ?? 5);
const skuCount = Number(process.env.BENCH_SKUS ?? 40);
const shelf = Number(process.env.BENCH_SHELF ?? 12);
const storeRate = Number(process.env.BENCH_STORE_RATE ?? 0.6); // sales an hour per SKU
const webRate = Number(process.env.BENCH_WEB_RATE ?? 0.4); // web orders an hour per SKU
const openHours = 12;
const outage = { from: Number(process.env.BENCH_OUTAGE_FROM ?? 2), hours: Number(process.env.BENCH_OUTAGE_HOURS ?? 4) };
const pickDelayHours = 2;
const fixedLease = Number(process.env.BENCH_LEASE_UNITS ?? Math.ceil(storeRate * outage.hours));
/** A sized lease's rate is per clock hour since the store's first sale (36 h here: yesterday's day and night, today's morning). */
const sizedCoverHours = Number(process.env.BENCH_COVER_HOURS ?? 12);
const hourMs = 3_600_000;
const location = "store-a";

type Policy = { name: string; lease: Record<string, number> | null; history: boolean };
const policies: Policy[] = [
  { name: "no lease", lease: null, history: false },
  { name: `fixed lease of ${fixedLease}`, lease: { units: fixedLease }, history: false },
  { name: `lease sized from yesterday's sales, ${sizedCoverHours} h cover`, lease: { coverHours: sizedCoverHours }, history: true },
];

interface Figures {
  shortExceptions: number;
  shortAtPick: number;
  webRefused: number;
  webPicked: number;
  storeSold: number;
  storeLost: number;
}

type SimEvent = { at: number; kind: "store" | "web"; sku: string };

/** Mulberry32: a small seeded generator, so that every policy meets the same day. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Poisson arrivals of `rate` an hour over the opening hours, per SKU. */
function arrivals(random: () => number, skus: string[], kind: SimEvent["kind"], rate: number): SimEvent[] {
  const events: SimEvent[] = [];
  for (const sku of skus) {
    for (let at = -Math.log(1 - random()) / rate; at < openHours; at += -Math.log(1 - random()) / rate) events.push({ at, kind, sku });
  }
  return events;
}

function sale(id: string, sku: string, occurredAt: number) {
  return { transactionId: id, terminalId: "T01", type: "sale", lines: [{ sku, qty: 1, unitPrice: 1000 }], tenders: [{ type: "card", amount: 1000 }], occurredAt: new Date(occurredAt).toISOString() };
}

async function simulateDay(url: string, seed: number, policy: Policy): Promise<Figures> {
  const tenantId = `lease-${seed}-${policies.indexOf(policy)}-${Date.now().toString(36)}`;
  const admin = (await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: benchPlatformKey, body: { id: tenantId, name: tenantId } })).adminKey.key;
  await edgeCall(url, "PUT", `/v1/locations/${location}`, { key: admin, body: { type: "store" } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: [location] } });
  const storeKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body: { role: "store", location } })).key;
  const webKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body: { role: "channel", channel: "web" } })).key;

  const random = generator(seed);
  const skus = Array.from({ length: skuCount }, (_, i) => `SKU-${String(i).padStart(3, "0")}`);
  const events = [...arrivals(random, skus, "store", storeRate), ...arrivals(random, skus, "web", webRate)].sort((a, b) => a.at - b.at);
  const opensAt = Date.now() - openHours * hourMs; // the day's till times end now, so that the edge's clock is past all of them
  let sequence = 0;
  const push = async (transactions: unknown[]) => {
    for (let i = 0; i < transactions.length; i += 500) {
      const chunk = transactions.slice(i, i + 500).map((transaction) => ({ sequence: (sequence += 1), transaction }));
      await edgeCall(url, "POST", `/v1/stores/${location}/transactions`, { key: storeKey, body: { transactions: chunk } });
    }
  };

  // Yesterday's sales at the same rate, for a lease sized from them (on stocked SKUs: a code nothing knows moves nothing); then every shelf is counted at `shelf`.
  if (policy.history) {
    for (const sku of skus) await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: admin, body: { onHand: shelf } });
    const yesterday = arrivals(generator(seed + 1_000_003), skus, "store", storeRate).sort((a, b) => a.at - b.at);
    await push(yesterday.map((event, i) => sale(`Y-${i}`, event.sku, opensAt - 24 * hourMs + event.at * hourMs)));
  }
  for (const sku of skus) await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: admin, body: { onHand: shelf } });
  if (policy.lease) for (const sku of skus) await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}/lease`, { key: admin, body: policy.lease });

  const onShelf = new Map(skus.map((sku) => [sku, shelf]));
  const picks: { at: number; sku: string; reservationId: string }[] = [];
  const queued: unknown[] = [];
  const figures: Figures = { shortExceptions: 0, shortAtPick: 0, webRefused: 0, webPicked: 0, storeSold: 0, storeLost: 0 };
  const offline = (at: number) => at >= outage.from && at < outage.from + outage.hours;
  let reconnected = false;

  const pick = async (due: { sku: string; reservationId: string }) => {
    const left = onShelf.get(due.sku)!;
    const outcome = left > 0 ? "commit" : "release";
    if (left > 0) {
      onShelf.set(due.sku, left - 1);
      figures.webPicked += 1;
    } else {
      figures.shortAtPick += 1;
    }
    await edgeCall(url, "POST", `/v1/inventory/${due.sku}/reservations/${due.reservationId}/${outcome}`, { key: webKey, idempotencyKey: `${outcome}-${due.reservationId}` });
  };
  const pickDue = async (now: number) => {
    // Staff pick from the order list the edge gives them: not while the link is down.
    if (offline(now)) return;
    picks.sort((a, b) => a.at - b.at);
    while (picks.length > 0 && picks[0]!.at <= now) await pick(picks.shift()!);
  };

  for (const [i, event] of events.entries()) {
    if (!reconnected && event.at >= outage.from + outage.hours) {
      reconnected = true;
      await push(queued.splice(0));
    }
    await pickDue(event.at);
    if (event.kind === "store") {
      const left = onShelf.get(event.sku)!;
      if (left === 0) {
        figures.storeLost += 1;
        continue;
      }
      onShelf.set(event.sku, left - 1);
      figures.storeSold += 1;
      const transaction = sale(`S-${i}`, event.sku, opensAt + event.at * hourMs);
      if (offline(event.at)) queued.push(transaction);
      else await push([transaction]);
    } else {
      const response = await edgeRequest<{ id: string }>(url, "POST", `/v1/inventory/${event.sku}/reservations`, {
        key: webKey,
        idempotencyKey: `web-${i}`,
        body: { qty: 1, channel: "web", reference: `web-${i}`, ttlSeconds: 86_400 },
      });
      if (response.status === 201) picks.push({ at: event.at + pickDelayHours, sku: event.sku, reservationId: response.body.id });
      else if (response.status === 409) figures.webRefused += 1;
      else throw new Error(`reservation answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
  }
  if (!reconnected) await push(queued.splice(0));
  await pickDue(Number.POSITIVE_INFINITY);

  // Exceptions reach the tenant's queue just after the batch that raised them: counted once the count holds for a second.
  for (let previous = -1; ; await new Promise((resolve) => setTimeout(resolve, 1_000))) {
    figures.shortExceptions = await countShortages(url, admin);
    if (figures.shortExceptions === previous) break;
    previous = figures.shortExceptions;
  }
  return figures;
}

async function countShortages(url: string, admin: string): Promise<number> {
  let count = 0;
  for (let cursor: string | null = ""; cursor !== null; ) {
    const page: { exceptions: unknown[]; nextCursor: string | null } = await edgeCall(url, "GET", `/v1/exceptions?type=reservations_short&limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key: admin });
    count += page.exceptions.length;
    cursor = page.nextCursor;
  }
  return count;
}

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  process.stdout.write(
    `Store leases: ${days} simulated days × ${policies.length} policies; ${skuCount} SKUs, shelf ${shelf} each, ${openHours} h open; ` +
      `store ${storeRate}/h and web ${webRate}/h per SKU, picks ${pickDelayHours} h after the order; link down from hour ${outage.from} for ${outage.hours} h; edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`,
  );
  const results = new Map<string, Figures[]>(policies.map((policy) => [policy.name, []]));
  for (let day = 1; day <= days; day += 1) {
    for (const policy of policies) {
      const figures = await simulateDay(url, day, policy);
      results.get(policy.name)!.push(figures);
      process.stdout.write(`day ${day}, ${policy.name}: ${JSON.stringify(figures)}\n`);
    }
  }
  process.stdout.write("\nmedians over the days:\n");
  const baseline = median(results.get(policies[0]!.name)!.map((f) => f.shortExceptions));
  for (const policy of policies) {
    const runs = results.get(policy.name)!;
    const m = (pick: (f: Figures) => number) => median(runs.map(pick));
    const ratio = baseline === 0 ? "n/a" : (m((f) => f.shortExceptions) / baseline).toFixed(2);
    process.stdout.write(
      `${policy.name}: reservations_short exceptions ${m((f) => f.shortExceptions)} (${ratio} of no lease), web orders short at pick ${m((f) => f.shortAtPick)}, ` +
        `web refused ${m((f) => f.webRefused)}, web picked ${m((f) => f.webPicked)}, store sold ${m((f) => f.storeSold)}, store lost ${m((f) => f.storeLost)}\n`,
    );
  }
} finally {
  await bench.close();
}
