import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { financeLedger } from "../durable/objects.ts";
import { businessDate, closeOf } from "../shared/business-day.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { catalogedSku, createStore, handedToLedger, numbered, sendBatch, txId } from "./store-fixtures.ts";

const settings = financeSettings();

/** A tenant with finance accounts and one POS sale today, whose ledger runs on a clock the test moves. */
export interface BooksWithASale {
  tenant: TestTenant;
  /** The journal the day's close posts. */
  journalId: string;
  /** Moves the ledger past the day's cut-off and runs its alarm: the day's journal is posted. */
  closeDay: () => Promise<void>;
}

export async function booksWithASale(): Promise<BooksWithASale> {
  const store = await createStore();
  const { tenant } = store;
  const ledger = financeLedger(env, tenant.id);
  const clock = new ManualClock(Date.now());
  await useClock(ledger, clock);
  expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: settings })).status).toBe(200);
  const sku = await catalogedSku(store, 10);
  const now = new Date(clock.now()).toISOString();
  const date = businessDate(clock.now(), settings.timeZone);
  const sale = { transactionId: txId("T01-sale"), terminalId: "T01", type: "sale", lines: [{ sku, qty: 1, unitPrice: 1999, tax: 160 }], tenders: [{ type: "card", amount: 2159 }], occurredAt: now };
  expect((await sendBatch(store.storeKey, "store-a", numbered(1, [sale]))).body.results[0]!.status).toBe("accepted");
  await handedToLedger(tenant.id, "store-a");
  return {
    tenant,
    journalId: `JE-${tenant.id}-${date}-store-a-pos-0`,
    closeDay: async () => {
      clock.advance(closeOf(date, settings.timeZone, settings.cutoff) - clock.now() + 60_000);
      await runDurableObjectAlarm(ledger);
    },
  };
}

export interface ErpInbox {
  url: string;
  deliveries: { idempotencyKey: string | null; body: string }[];
}

const inboxes = new Map<string, ErpInbox>();

/**
 * A file connection's `deliverTo` endpoint, outside our system: fetches to its
 * URL are recorded and answered 200; every other fetch goes out as usual. The
 * connections run in this isolate (the vitest integration's main Worker), so
 * they see this fetch. Installed again when a test's restoreAllMocks took it away.
 */
export function erpInbox(): ErpInbox {
  if (!vi.isMockFunction(globalThis.fetch)) {
    const passthrough = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      const inbox = inboxes.get(request.url);
      if (!inbox) return passthrough(input, init);
      inbox.deliveries.push({ idempotencyKey: request.headers.get("idempotency-key"), body: await request.text() });
      return new Response("stored", { status: 200 });
    });
  }
  const inbox: ErpInbox = { url: `https://erp.test/inbox/${unique("inbox")}`, deliveries: [] };
  inboxes.set(inbox.url, inbox);
  return inbox;
}
