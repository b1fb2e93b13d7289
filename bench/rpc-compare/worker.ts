// Benchmark worker: one SKU's stock behind two Durable Object styles.
// NativeCounter is called through native RPC, IttyCounter through itty-durable's
// proxied stub (each call becomes a fetch to a router inside the object).
// Both run the exact same reserve() against the object's SQLite storage.
import { DurableObject } from "cloudflare:workers";
import { Router, error, json } from "itty-router";
import type { IRequest } from "itty-router";
import { createDurable, withDurables } from "itty-durable";

export interface Env {
  NATIVE: DurableObjectNamespace<NativeCounter>;
  ITTY: DurableObjectNamespace;
}

export type Reservation =
  | { ok: true; id: number; remaining: number }
  | { ok: false; code: "insufficient_stock"; available: number }
  | { ok: false; code: "invalid_quantity" };

export interface Stats {
  seeded: number;
  available: number;
  reservations: number;
  reservedUnits: number;
}

const SKU = "sku-bench-0001";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS stock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded INTEGER NOT NULL,
    available INTEGER NOT NULL CHECK (available >= 0)
  );
  CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    qty INTEGER NOT NULL,
    reference TEXT NOT NULL
  );`;

function reserve(storage: DurableObjectStorage, qty: number, reference: string): Reservation {
  if (!Number.isInteger(qty) || qty < 1) return { ok: false, code: "invalid_quantity" };
  return storage.transactionSync((): Reservation => {
    const row = storage.sql.exec<{ available: number }>("SELECT available FROM stock WHERE id = 1").toArray()[0];
    const available = row?.available ?? 0;
    if (qty > available) return { ok: false, code: "insufficient_stock", available };
    storage.sql.exec("UPDATE stock SET available = available - ? WHERE id = 1", qty);
    const { id } = storage.sql
      .exec<{ id: number }>("INSERT INTO ledger (qty, reference) VALUES (?, ?) RETURNING id", qty, reference)
      .one();
    return { ok: true, id, remaining: available - qty };
  });
}

function stats(storage: DurableObjectStorage): Stats {
  return storage.sql
    .exec<{ seeded: number; available: number; reservations: number; reservedUnits: number }>(
      `SELECT seeded, available,
              (SELECT count(*) FROM ledger) AS reservations,
              (SELECT coalesce(sum(qty), 0) FROM ledger) AS reservedUnits
         FROM stock WHERE id = 1`,
    )
    .one();
}

function seed(storage: DurableObjectStorage, units: number): Stats {
  storage.transactionSync(() => {
    storage.sql.exec("DELETE FROM ledger");
    storage.sql.exec("INSERT OR REPLACE INTO stock (id, seeded, available) VALUES (1, ?, ?)", units, units);
  });
  return stats(storage);
}

export class NativeCounter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }
  reserve(qty: number, reference: string): Reservation {
    return reserve(this.ctx.storage, qty, reference);
  }
  seed(units: number): Stats {
    return seed(this.ctx.storage, units);
  }
  stats(): Stats {
    return stats(this.ctx.storage);
  }
}

// itty-durable's base class keeps the DurableObjectState as `this.state` (typed `{}` upstream).
export class IttyCounter extends createDurable() {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.storage.sql.exec(SCHEMA);
  }
  reserve(qty: number, reference: string): Reservation {
    return reserve((this.state as DurableObjectState).storage, qty, reference);
  }
  seed(units: number): Stats {
    return seed((this.state as DurableObjectState).storage, units);
  }
  stats(): Stats {
    return stats((this.state as DurableObjectState).storage);
  }
}

const reply = (r: Reservation): Response =>
  json(r, { status: r.ok ? 201 : r.code === "insufficient_stock" ? 409 : 400 });

async function readBody(request: IRequest): Promise<{ qty: number; reference: string; units: number }> {
  return request.json();
}

const router = Router<IRequest, [Env]>({ catch: error });

router
  .post("/native/seed", async (req, env) => json(await env.NATIVE.getByName(SKU).seed((await readBody(req)).units)))
  .get("/native/stats", async (_req, env) => json(await env.NATIVE.getByName(SKU).stats()))
  .post("/native/reserve", async (req, env) => {
    const { qty, reference } = await readBody(req);
    return reply(await env.NATIVE.getByName(SKU).reserve(qty, reference));
  })
  // itty-durable's intended use: middleware puts proxied stubs on the request,
  // `parse: true` makes each method call resolve to the parsed JSON body.
  .all("/itty/*", withDurables({ parse: true }))
  .post("/itty/seed", async (req) => json(await req.ITTY.get(SKU).seed((await readBody(req)).units)))
  .get("/itty/stats", async (req) => json(await req.ITTY.get(SKU).stats()))
  .post("/itty/reserve", async (req) => {
    const { qty, reference } = await readBody(req);
    return reply(await req.ITTY.get(SKU).reserve(qty, reference));
  })
  .all("*", () => error(404));

export default { fetch: router.fetch } satisfies ExportedHandler<Env>;
