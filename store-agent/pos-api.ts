import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { AppError } from "../shared/errors.ts";
import { problemHandler, validationHook } from "../shared/problem.ts";
import { Problem } from "../shared/schemas/common.ts";
import { PosTransactionReceipt, type PosTransaction } from "../shared/schemas/store-transactions.ts";
import { approvalReasons, isRecorded } from "./approval-policy.ts";
import type { CustomerLookup } from "./customer-lookup.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { HostAllowlist } from "./host-allowlist.ts";
import { lookUpItem } from "./item-lookup.ts";
import { silentLogger, type Logger } from "./log.ts";
import type { RedemptionDesk } from "./loyalty-allowance.ts";
import { verifyManagerPin } from "./managers.ts";
import type { Outbox } from "./outbox.ts";
import { AgentStatus, PosCustomer, PosItem, PosTransactionRequest, TerminalPairing, TerminalPairingRequest } from "../shared/schemas/store-agent.ts";
import { ExternalId } from "../shared/schemas/common.ts";
import { childTraceparent, traceIdOf } from "../shared/tracing.ts";
import { rateLimited, requireAllowedHost, requireTerminal, type PosEnv } from "./pos-guards.ts";
import { readAgentStatus } from "./status.ts";
import { pairTerminal } from "./terminals.ts";
import { TokenBuckets, type TokenBucketPolicy } from "./token-buckets.ts";

export type { PosEnv } from "./pos-guards.ts";

/** Pairing attempts, across all callers: enough for an admin pairing a few tills, far too few to guess a 40-bit code. */
export const pairingAttempts: TokenBucketPolicy = { ratePerSecond: 1 / 6, burst: 10 };

/** A transaction of 500 lines is about 60 KiB of JSON. */
export const maxPosBodyBytes = 256 * 1024;

export interface PosApiOptions {
  store: AgentDatabase;
  outbox: Outbox;
  /** Looks customers up at the edge, or in the store's copy when offline. */
  customers: CustomerLookup;
  /** Records the sales that redeem points. */
  redemptions: RedemptionDesk;
  /** Called after a new transaction is committed (the replayer's nudge). */
  onRecorded?: () => void;
  /** The Host headers it answers to. */
  hosts: HostAllowlist;
  /** Each terminal's token bucket. */
  terminalRate: TokenBucketPolicy;
  log?: Logger;
  clock?: () => number;
}

const security = [{ terminalToken: [] }];

const problem = (description: string) => ({ content: { "application/problem+json": { schema: Problem } }, description });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

const recordTransaction = createRoute({
  method: "post",
  path: "/pos/v1/transactions",
  summary: "Record a POS transaction",
  description:
    "Answers 201 once the transaction is committed to the agent's disk, online or not, whatever the stock. " +
    "The same transactionId with the same body answers 200 with the first receipt (header Idempotent-Replayed: true) and stores nothing; " +
    "with another body, 409 conflict. " +
    "A sale redeeming points (`loyalty.redeem`) is recorded naming the store's hold when that covers it (see GET /pos/v1/customers/{loyaltyIdOrCustomerId}; the agent sets `holdId` itself); " +
    "beyond it, depending on the agent's --offline-redemption, 409 redemption_not_covered (nothing recorded: complete the sale without the redemption) or recorded without a hold.",
  security,
  request: { body: { content: { "application/json": { schema: PosTransactionRequest } }, required: true } },
  responses: {
    201: json(PosTransactionReceipt, "Recorded"),
    200: json(PosTransactionReceipt, "Already recorded: the first receipt"),
    400: problem("validation_failed or malformed_json"),
    401: problem("unauthorized: no token, an unknown one, or a revoked terminal's"),
    403: problem("approval_required: a blind return or a negative tender without a manager's approval (`reasons`); approval_invalid: unknown manager or wrong PIN"),
    409: problem("conflict: the transactionId was recorded with another body; redemption_not_covered: the store may not approve that many points (`redeemableOffline`)"),
    413: problem("payload_too_large"),
    415: problem("unsupported_media_type"),
    421: problem("host_not_allowed"),
    429: problem("rate_limited: the terminal is over its rate; Retry-After says when to retry"),
  },
});

const pair = createRoute({
  method: "post",
  path: "/pos/v1/terminals/pair",
  summary: "Pair a terminal",
  description:
    "Exchanges a one-time pairing code (from `shelfsync-agent terminals pair`, valid 10 minutes) for the terminal's token. " +
    "The token is shown only in this answer; send it as `Authorization: Bearer <token>` on every other POS call.",
  request: { body: { content: { "application/json": { schema: TerminalPairingRequest } }, required: true } },
  responses: {
    201: json(TerminalPairing, "Paired"),
    400: problem("validation_failed or malformed_json"),
    401: problem("pairing_code_invalid: unknown, used or expired"),
    421: problem("host_not_allowed"),
    429: problem("rate_limited: too many pairing attempts; Retry-After says when to retry"),
  },
});

const getItem = createRoute({
  method: "get",
  path: "/pos/v1/items/{skuOrBarcode}",
  summary: "Look an item up by SKU or barcode",
  description: "From the agent's copy of the store feed: works offline.",
  security,
  request: { params: z.object({ skuOrBarcode: z.string().min(1).max(64) }) },
  responses: { 200: json(PosItem, "The item"), 401: problem("unauthorized"), 404: problem("not_found"), 429: problem("rate_limited") },
});

const getCustomer = createRoute({
  method: "get",
  path: "/pos/v1/customers/{loyaltyIdOrCustomerId}",
  summary: "Look a customer up by loyalty id or customer id",
  description:
    "Online, from the edge: the balance, and a hold placed at the edge (or the store's earlier one, reused) for points the store may approve without the edge. " +
    "Offline, from what the store kept of the last lookup (`source: cache`).",
  security,
  request: { params: z.object({ loyaltyIdOrCustomerId: ExternalId("LOY-0042") }) },
  responses: {
    200: json(PosCustomer, "The customer"),
    400: problem("validation_failed"),
    401: problem("unauthorized"),
    404: problem("not_found: the edge knows no customer by that loyalty id or id"),
    429: problem("rate_limited"),
    503: problem("edge_unreachable: offline, and the store never looked this customer up"),
  },
});

const findCustomer = createRoute({
  method: "get",
  path: "/pos/v1/customers",
  summary: "Look a customer up by email or phone",
  description:
    "Exactly one of `email` or `phone`. Online, the oldest customer the edge finds (phones read with the tenant's defaultCountry), answered as by loyalty id, hold included. " +
    "Offline, the customer an earlier online lookup of the same contact at this store found (the agent keeps a hash of the contact, not the contact; a phone without + needs the agent's --phone-country).",
  security,
  request: {
    query: z
      .object({ email: z.string().min(1).max(200).optional(), phone: z.string().min(1).max(40).optional() })
      .refine((query) => (query.email === undefined) !== (query.phone === undefined), "exactly one of email or phone"),
  },
  responses: {
    200: json(PosCustomer, "The customer"),
    400: problem("validation_failed: neither or both of email and phone"),
    401: problem("unauthorized"),
    404: problem("not_found: the edge knows no customer with that contact"),
    422: problem("invalid_email or invalid_phone"),
    429: problem("rate_limited"),
    503: problem("edge_unreachable: offline, and no earlier lookup of that contact here"),
  },
});

const getStatus = createRoute({
  method: "get",
  path: "/pos/v1/status",
  summary: "The agent's sync status",
  security,
  responses: { 200: json(AgentStatus, "Status"), 401: problem("unauthorized"), 429: problem("rate_limited") },
});

const requireJson = createMiddleware<PosEnv>(async (c, next) => {
  if (c.req.method === "POST" && !/^application\/([\w.-]+\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type");
  }
  await next();
});

/**
 * Checks a terminal's manager approval and turns the request into the
 * transaction to store: the approval keeps the manager id and what needed
 * approving, never the PIN. Refuses (403) what needs an approval and has
 * none, and an approval with an unknown manager or a wrong PIN. A retry of a
 * recorded id is not asked again: the outbox answers it (first receipt or
 * conflict).
 */
async function approvedTransaction(store: AgentDatabase, request: PosTransactionRequest): Promise<PosTransaction> {
  const { approval, ...transaction } = request;
  const reasons = await approvalReasons(store, transaction);
  if (!approval) {
    if (reasons.length > 0) throw new AppError("approval_required", `A manager must approve this ${transaction.type} (${reasons.join(", ")}): send approval {managerId, pin}`, { reasons });
    return transaction;
  }
  if (!(await isRecorded(store, transaction.transactionId)) && !(await verifyManagerPin(store, approval.managerId, approval.pin))) {
    throw new AppError("approval_invalid", "Unknown manager or wrong PIN");
  }
  return { ...transaction, approval: { managerId: approval.managerId, reasons } };
}

/** The request's path as the access log shows it: a customer's id never reaches the log. */
function loggedPath(path: string): string {
  return path.startsWith("/pos/v1/customers/") ? "/pos/v1/customers/{loyaltyIdOrCustomerId}" : path;
}

/**
 * The local HTTP API the store's terminals call: pair, record a transaction,
 * look up an item or a customer, read the agent's status; every answer but a
 * customer lookup comes from the local database, and that one falls back to
 * it, so all of it works offline. Every route but pairing and the
 * OpenAPI document needs a paired terminal's token; every route refuses a
 * Host header not on the allowlist.
 *
 * @example
 * serve({ fetch: createPosApi({ store, outbox, customers, redemptions, hosts, terminalRate: { ratePerSecond: 10, burst: 50 } }).fetch, port: 8790 });
 */
export function createPosApi(options: PosApiOptions): OpenAPIHono<PosEnv> {
  const { store, outbox, customers, redemptions, onRecorded, hosts, log = silentLogger, clock = Date.now } = options;
  const app = new OpenAPIHono<PosEnv>({ defaultHook: validationHook });
  const terminalBuckets = new TokenBuckets(options.terminalRate, clock);
  const pairingBucket = new TokenBuckets(pairingAttempts, clock);

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    const started = performance.now();
    c.set("traceparent", childTraceparent(c.req.header("traceparent")));
    await next();
    const terminal = c.get("terminal")?.id;
    const traceId = c.get("traceId") ?? traceIdOf(c.get("traceparent"));
    log({ requestId: c.get("requestId"), traceId, method: c.req.method, path: loggedPath(c.req.path), status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100, ...(terminal ? { terminal } : {}) });
  });
  app.use("*", requireAllowedHost(hosts));
  const terminalOnly = requireTerminal(store, terminalBuckets);
  app.use("/pos/v1/transactions", terminalOnly);
  app.use("/pos/v1/items/*", terminalOnly);
  app.use("/pos/v1/customers", terminalOnly);
  app.use("/pos/v1/customers/*", terminalOnly);
  app.use("/pos/v1/status", terminalOnly);
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

  app.openapi(pair, async (c) => {
    const taken = pairingBucket.take("pairing");
    if (!taken.ok) throw rateLimited(c, taken.retryAfterSeconds, `Too many pairing attempts; retry in ${taken.retryAfterSeconds} s`);
    const paired = await pairTerminal(store, c.req.valid("json").code, clock());
    if (!paired) throw new AppError("pairing_code_invalid", "Unknown, used or expired pairing code; get a new one with shelfsync-agent terminals pair");
    log({ event: "terminal_paired", requestId: c.get("requestId"), terminal: paired.terminalId, name: paired.name });
    return c.json(paired, 201);
  });

  app.openapi(recordTransaction, async (c) => {
    const transaction = await approvedTransaction(store, c.req.valid("json"));
    // The sale's span is in the request's trace: the terminal's, if it sent a traceparent, else one the agent started.
    const trace = c.get("traceparent");
    const outcome = transaction.loyalty?.redeem ? await redemptions.record(transaction, trace) : await outbox.record(transaction, trace);
    // A replayed sale answers, and logs, the trace it was first recorded in.
    c.set("traceId", outcome.receipt.traceId);
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

  app.openapi(findCustomer, async (c) => {
    const { email, phone } = c.req.valid("query");
    return c.json(await customers.findByContact(email !== undefined ? { email } : { phone: phone! }), 200);
  });

  app.openapi(getCustomer, async (c) => c.json(await customers.find(c.req.valid("param").loyaltyIdOrCustomerId), 200));

  app.openapi(getStatus, async (c) => c.json(await readAgentStatus(store, outbox, clock()), 200));

  app.openAPIRegistry.registerComponent("securitySchemes", "terminalToken", {
    type: "http",
    scheme: "bearer",
    description: "A paired terminal's token (POST /pos/v1/terminals/pair).",
  });
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
