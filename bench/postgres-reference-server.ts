import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";

/**
 * The reference a hot-SKU reservation is measured against: a small Node
 * server doing what a conventional stack does for the same request, on
 * PostgreSQL. One SKU row, a conditional UPDATE that only takes units still
 * available, and the reservation's INSERT (its Idempotency-Key unique) in one
 * transaction, committed before the answer; a repeated key answers the
 * reservation it made. Run by bench/reserve.ts in its own process, as the
 * edge runs in workerd's.
 *
 * Env: DATABASE_URL, PORT, REFERENCE_KEY (the bearer key it accepts), POOL_SIZE.
 */

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 16) });
const port = Number(process.env.PORT ?? 8791);
const bearer = `Bearer ${process.env.REFERENCE_KEY ?? "reference-key"}`;
const reservationTtlMs = 15 * 60_000;

await pool.query(`
  CREATE TABLE IF NOT EXISTS stock (sku text PRIMARY KEY, on_hand bigint NOT NULL, reserved bigint NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS reservations (
    id text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    sku text NOT NULL REFERENCES stock (sku),
    channel text NOT NULL,
    qty integer NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
`);

interface ReservationRow {
  id: string;
  sku: string;
  channel: string;
  qty: number;
  reference: string;
  created_at: Date;
  expires_at: Date;
}

function answer(response: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function problem(response: ServerResponse, status: number, code: string, detail: string): void {
  answer(response, status, { type: `https://shelfsync.dev/problems/${code}`, title: code, status, code, detail }, "application/problem+json");
}

function view(row: ReservationRow) {
  return {
    id: row.id,
    sku: row.sku,
    channel: row.channel,
    qty: row.qty,
    status: "active",
    allocations: [{ location: "wh-1", qty: row.qty }],
    reference: row.reference,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    closedAt: null,
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function reserve(sku: string, idempotencyKey: string, input: { qty: number; channel: string; reference: string }, response: ServerResponse): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const taken = await client.query("UPDATE stock SET reserved = reserved + $2 WHERE sku = $1 AND on_hand - reserved >= $2", [sku, input.qty]);
    if (taken.rowCount === 0) {
      await client.query("ROLLBACK");
      return problem(response, 409, "insufficient_stock", `${sku} has fewer than ${input.qty} units available`);
    }
    const now = Date.now();
    const inserted = await client.query<ReservationRow>(
      `INSERT INTO reservations (id, idempotency_key, sku, channel, qty, reference, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [`res_${randomUUID()}`, idempotencyKey, sku, input.channel, input.qty, input.reference, new Date(now), new Date(now + reservationTtlMs)],
    );
    if (inserted.rowCount === 0) {
      // The key made a reservation before: its units are not taken twice.
      await client.query("ROLLBACK");
      const earlier = await pool.query<ReservationRow>("SELECT * FROM reservations WHERE idempotency_key = $1", [idempotencyKey]);
      return answer(response, 201, view(earlier.rows[0]!));
    }
    await client.query("COMMIT");
    answer(response, 201, view(inserted.rows[0]!));
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const reservationPath = /^\/v1\/inventory\/([A-Za-z0-9._-]{1,64})\/reservations$/;
const stockPath = /^\/stock\/([A-Za-z0-9._-]{1,64})$/;

const server = createServer((request, response) => {
  void (async () => {
    if (request.headers.authorization !== bearer) return problem(response, 401, "unauthorized", "a valid key is required");
    const url = request.url ?? "/";
    const reservation = reservationPath.exec(url);
    if (request.method === "POST" && reservation) {
      const idempotencyKey = request.headers["idempotency-key"];
      if (typeof idempotencyKey !== "string" || idempotencyKey.length === 0) return problem(response, 400, "idempotency_key_required", "POST needs an Idempotency-Key");
      const body = (await readJson(request)) as { qty?: unknown; channel?: unknown; reference?: unknown };
      if (!Number.isInteger(body.qty) || (body.qty as number) < 1 || typeof body.channel !== "string" || typeof body.reference !== "string") {
        return problem(response, 400, "validation_failed", "qty (a positive integer), channel and reference are required");
      }
      return reserve(reservation[1]!, idempotencyKey, body as { qty: number; channel: string; reference: string }, response);
    }
    const stock = stockPath.exec(url);
    if (stock && request.method === "PUT") {
      const { onHand } = (await readJson(request)) as { onHand: number };
      await pool.query("INSERT INTO stock (sku, on_hand) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET on_hand = $2, reserved = 0", [stock[1], onHand]);
      await pool.query("DELETE FROM reservations WHERE sku = $1", [stock[1]]);
      return answer(response, 200, { sku: stock[1], onHand });
    }
    if (stock && request.method === "GET") {
      const row = await pool.query<{ on_hand: string; reserved: string; reservations: string }>(
        "SELECT on_hand, reserved, (SELECT count(*) FROM reservations WHERE sku = $1) AS reservations FROM stock WHERE sku = $1",
        [stock[1]],
      );
      if (row.rowCount === 0) return problem(response, 404, "not_found", `no ${stock[1]}`);
      const { on_hand, reserved, reservations } = row.rows[0]!;
      return answer(response, 200, { sku: stock[1], onHand: Number(on_hand), reserved: Number(reserved), reservations: Number(reservations) });
    }
    problem(response, 404, "not_found", `${request.method} ${url}`);
  })().catch((error: unknown) => {
    if (!response.headersSent) problem(response, 500, "internal", String(error));
  });
});

server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`reference listening on ${port}\n`));

process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
