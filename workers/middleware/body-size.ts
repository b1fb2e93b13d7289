import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../../shared/errors.ts";
import { maxLogoBytes } from "../../shared/schemas/partners.ts";
import { maxStoreBatchBytes } from "../../shared/schemas/store-transactions.ts";
import type { AppEnv } from "../env.ts";

export const maxBodyBytes = 64 * 1024;

function limitOf(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("payload_too_large", `The body is over the limit of ${maxSize} bytes`, { limit: maxSize });
    },
  });
}

const defaultLimit = limitOf(maxBodyBytes);
const storeBatchLimit = limitOf(maxStoreBatchBytes);
const storeBatchPath = /^\/v1\/stores\/[^/]+\/transactions$/;

/** A Shopify order webhook carries every line item with its price sets, taxes and discounts: ~2 KiB a line. */
export const maxWebhookBytes = 1024 * 1024;
const webhookLimit = limitOf(maxWebhookBytes);
const webhookPath = /^\/v1\/webhooks\//;

/** A settlement is read whole: an Amazon settlement of a busy month runs to thousands of rows. */
export const maxSettlementBytes = 8 * 1024 * 1024;
const settlementLimit = limitOf(maxSettlementBytes);
const settlementPath = /^\/v1\/finance\/settlements$/;

/** A partner's logo is an image of up to 256 KiB. */
const logoLimit = limitOf(maxLogoBytes);
const logoPath = /^\/v1\/partners\/[^/]+\/branding\/logo$/;

/** ERP imports bound themselves: a CSV file is streamed whatever its length, a JSON one is read up to its own limit. */
const erpImportPath = /^\/v1\/erp\/imports$/;

/**
 * Refuses bodies over 64 KiB before anything reads them; a store agent's
 * batch of POS transactions may be larger (up to 500 transactions), and so
 * may a platform's webhook (up to 1 MiB), a settlement (up to 8 MiB) and a
 * partner's logo (up to 256 KiB). An ERP import is streamed
 * (workers/erp/receive.ts).
 */
export const bodySize = createMiddleware<AppEnv>((c, next) => {
  if (c.req.method === "POST" && erpImportPath.test(c.req.path)) return next();
  if (settlementPath.test(c.req.path)) return settlementLimit(c, next);
  if (logoPath.test(c.req.path)) return logoLimit(c, next);
  return (storeBatchPath.test(c.req.path) ? storeBatchLimit : webhookPath.test(c.req.path) ? webhookLimit : defaultLimit)(c, next);
});
