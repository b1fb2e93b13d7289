import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { AppError } from "../shared/errors.ts";
import { problemHandler, validationHook, type ProblemEnv } from "../shared/problem.ts";
import { Problem } from "../shared/schemas/common.ts";
import { PosTransaction, PosTransactionReceipt } from "../shared/schemas/store-transactions.ts";
import type { AgentDatabase } from "./db/client.ts";
import { lookUpItem } from "./item-lookup.ts";
import { silentLogger, type Logger } from "./log.ts";
import type { Outbox } from "./outbox.ts";
import { AgentStatus, PosItem } from "../shared/schemas/store-agent.ts";
import { readAgentStatus } from "./status.ts";

/** Hono's environment for the POS API: no bindings, only the request id that problems carry as `instance`. */
export type PosEnv = ProblemEnv;

/** A transaction of 500 lines is about 60 KiB of JSON. */
export const maxPosBodyBytes = 256 * 1024;

export interface PosApiOptions {
  store: AgentDatabase;
  outbox: Outbox;
  /** Called after a new transaction is committed (the replayer's nudge). */
  onRecorded?: () => void;
  log?: Logger;
  clock?: () => number;
}

const problem = (description: string) => ({ content: { "application/problem+json": { schema: Problem } }, description });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

const recordTransaction = createRoute({
  method: "post",
  path: "/pos/v1/transactions",
  summary: "Record a POS transaction",
  description:
    "Answers 201 once the transaction is committed to the agent's disk, online or not, whatever the stock. " +
    "The same transactionId with the same body answers 200 with the first receipt (header Idempotent-Replayed: true) and stores nothing; " +
    "with another body, 409 conflict.",
  request: { body: { content: { "application/json": { schema: PosTransaction } }, required: true } },
  responses: {
    201: json(PosTransactionReceipt, "Recorded"),
    200: json(PosTransactionReceipt, "Already recorded: the first receipt"),
    400: problem("validation_failed or malformed_json"),
    409: problem("conflict: the transactionId was recorded with another body"),
    413: problem("payload_too_large"),
    415: problem("unsupported_media_type"),
  },
});

const getItem = createRoute({
  method: "get",
  path: "/pos/v1/items/{skuOrBarcode}",
  summary: "Look an item up by SKU or barcode",
  description: "From the agent's copy of the store feed: works offline.",
  request: { params: z.object({ skuOrBarcode: z.string().min(1).max(64) }) },
  responses: { 200: json(PosItem, "The item"), 404: problem("not_found") },
});

const getStatus = createRoute({
  method: "get",
  path: "/pos/v1/status",
  summary: "The agent's sync status",
  responses: { 200: json(AgentStatus, "Status") },
});

const requireJson = createMiddleware<PosEnv>(async (c, next) => {
  if (c.req.method === "POST" && !/^application\/([\w.-]+\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type");
  }
  await next();
});

/**
 * The local HTTP API the store's terminals call: record a transaction, look
 * up an item, read the agent's status; every answer comes from the local
 * database, so all of it works offline.
 *
 * @example
 * serve({ fetch: createPosApi({ store, outbox }).fetch, port: 8790 });
 */
export function createPosApi(options: PosApiOptions): OpenAPIHono<PosEnv> {
  const { store, outbox, onRecorded, log = silentLogger, clock = Date.now } = options;
  const app = new OpenAPIHono<PosEnv>({ defaultHook: validationHook });

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    log({ requestId: c.get("requestId"), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100 });
  });
  app.use(
    "/pos/*",
    bodyLimit({
      maxSize: maxPosBodyBytes,
      onError: () => {
        throw new AppError("payload_too_large", `The body is over the limit of ${maxPosBodyBytes} bytes`, { limit: maxPosBodyBytes });
      },
    }),
  );
  app.use("/pos/*", requireJson);

  app.openapi(recordTransaction, async (c) => {
    const outcome = await outbox.record(c.req.valid("json"));
    if (outcome.kind === "conflict") {
      throw new AppError("conflict", `Transaction ${outcome.receipt.transactionId} was already recorded with another body`, {
        transactionId: outcome.receipt.transactionId,
      });
    }
    if (outcome.kind === "replayed") {
      c.header("Idempotent-Replayed", "true");
      return c.json(outcome.receipt, 200);
    }
    onRecorded?.();
    return c.json(outcome.receipt, 201);
  });

  app.openapi(getItem, async (c) => {
    const { skuOrBarcode } = c.req.valid("param");
    const item = await lookUpItem(store, skuOrBarcode, clock());
    if (!item) throw new AppError("not_found", `No item with SKU or barcode ${skuOrBarcode} in the store's catalog`);
    return c.json(item, 200);
  });

  app.openapi(getStatus, async (c) => c.json(await readAgentStatus(store, outbox, clock()), 200));

  app.doc31("/pos/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Shelfsync store agent POS API", version: "1.0.0", description: "Local API for the store's terminals. Errors are RFC 9457 problem+json with a stable `code`." },
  });
  app.notFound((c) => {
    throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(problemHandler({ log, internalDetail: "The agent failed to handle this request; the request id identifies it in its log" }));
  return app;
}
