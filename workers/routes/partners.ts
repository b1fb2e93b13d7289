import { traceIdOf } from "../../shared/tracing.ts";
import { z } from "@hono/zod-openapi";
import { partnerDirectory, platformDirectory } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { formatPartnerKey, newId, newKeySecret, sha256Hex } from "../../shared/ids.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import {
  Branding,
  CreatePartnerKeyRequest,
  CreatePartnerRequest,
  CreatePartnerResponse,
  HostBranding,
  LogoInfo,
  Partner,
  PartnerKey,
  PartnerKeyParams,
  PartnerParams,
  PutBrandingRequest,
  RotateKeyRequest,
  RotatePartnerKeyResponse,
  UsageQuery,
  UsageReport,
  maxLogoBytes,
} from "../../shared/schemas/partners.ts";
import { authorizePartner, requirePlatformKey } from "../auth.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { partnerKeyChecks } from "../middleware/partner-keys.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";
import { hostBrands, hostOf } from "../partners/branding.ts";
import { checkLogo } from "../partners/logo.ts";
import { healthOfTenants } from "../partners/health.ts";
import { usageCsv, usageOfTenants } from "../partners/usage.ts";
import { TenantHealthPage, TenantHealthQuery, tenantHealthTimeoutMs } from "../../shared/schemas/tenant-health.ts";

const partners = routesOf("Partners");

const createPartner = partners.post("/v1/partners", "createPartner", {
  summary: "Create a partner (platform key); its first key is in the answer, once",
  request: { headers: IdempotencyKeyHeader, body: body(CreatePartnerRequest) },
  responses: { 201: json(CreatePartnerResponse, "The partner and its key") },
});

const listPartners = partners.get("/v1/partners", "listPartners", {
  summary: "Every partner (platform key)",
  responses: { 200: json(z.object({ partners: z.array(Partner) }), "The partners") },
});

const listKeys = partners.get("/v1/partners/{partner}/keys", "listPartnerKeys", {
  summary: "The partner's keys, without secrets (the partner's key or the platform key)",
  request: { params: PartnerParams },
  responses: { 200: json(z.object({ keys: z.array(PartnerKey) }), "The keys") },
});

const createKey = partners.post("/v1/partners/{partner}/keys", "createPartnerKey", {
  summary: "Create another partner key; the secret is in the answer, once",
  request: { params: PartnerParams, headers: IdempotencyKeyHeader, body: body(CreatePartnerKeyRequest) },
  responses: { 201: json(PartnerKey, "The key") },
});

const revokeKey = partners.delete("/v1/partners/{partner}/keys/{id}", "revokePartnerKey", {
  summary: "Revoke a partner key: refused everywhere within 30 seconds, with 401 key_revoked",
  description: "The partner's last usable key cannot be revoked (409 conflict): rotate it instead.",
  request: { params: PartnerKeyParams },
  responses: { 200: json(PartnerKey, "The revoked key") },
});

const rotateKey = partners.post("/v1/partners/{partner}/keys/{id}/rotate", "rotatePartnerKey", {
  summary: "Issue a successor partner key; the old key works until the overlap ends",
  request: { params: PartnerKeyParams, headers: IdempotencyKeyHeader, body: body(RotateKeyRequest) },
  responses: { 201: json(RotatePartnerKeyResponse, "The successor (with its secret) and the old key") },
});

const readUsage = partners.get("/v1/partners/{partner}/usage", "getPartnerUsage", {
  summary: "Usage per tenant of the partner in a month, as JSON or CSV (Accept: text/csv or format=csv)",
  description: "One row per tenant of the partner. What each figure counts, and how exactly, is in docs/decisions/0034-partners.md.",
  request: { params: PartnerParams, query: UsageQuery },
  responses: {
    200: {
      content: { "application/json": { schema: UsageReport }, "text/csv": { schema: z.string() } },
      description: "The report",
    },
  },
});

const readTenantHealth = partners.get("/v1/partners/{partner}/tenants/health", "listPartnerTenantHealth", {
  summary: "The partner's tenants with their health: stores offline and never reported, the oldest backlog, open exceptions by type, connections failing and their lag",
  description: [
    "The partner's own tenants only (its key; the platform key reads any partner's), in id order, a page at a time by cursor.",
    "Each tenant is read from its objects while you wait: its registry, store health board and exception queue, and each of its connections (channel and ERP).",
    `Each tenant is read on its own, within ${tenantHealthTimeoutMs / 1000} s: a tenant whose objects fail or are slower is a row with status unavailable and unavailable.code (read_failed or timeout) instead of figures, and the page is still 200 with every other tenant's figures. Check status before reading stores, exceptions or connections.`,
    "A page of 20 tenants with 3 connections each is 120 object calls: poll it as a screen does (every few seconds while someone watches), not as a feed. How it scales is in docs/decisions/0040-partner-overview.md.",
  ].join(" "),
  request: { params: PartnerParams, query: TenantHealthQuery },
  responses: { 200: json(TenantHealthPage, "A page of the partner's tenants with their health") },
});

const putBranding = partners.put("/v1/partners/{partner}/branding", "putPartnerBranding", {
  summary: "Set the partner's brand: display name, colours, support contact and the host names it serves on",
  description: "A host name another partner serves on is 409 conflict, and nothing changes. Other edge isolates show the change within 60 seconds.",
  request: { params: PartnerParams, body: body(PutBrandingRequest) },
  responses: { 200: json(Branding, "The brand") },
});

const readBranding = partners.get("/v1/partners/{partner}/branding", "getPartnerBranding", {
  summary: "The partner's brand",
  request: { params: PartnerParams },
  responses: { 200: json(Branding, "The brand") },
});

const logoBody = {
  required: true,
  content: Object.fromEntries(["image/png", "image/jpeg", "image/webp", "image/svg+xml"].map((type) => [type, { schema: z.string().openapi({ format: "binary" }) }])),
};

const putLogo = partners.put("/v1/partners/{partner}/branding/logo", "putPartnerLogo", {
  summary: "Upload the partner's logo: PNG, JPEG, WebP or SVG (checked by its bytes), at most 256 KiB",
  description: "415 unsupported_media_type when the bytes are none of those types or not the declared Content-Type; 413 over 256 KiB; an SVG with scripts, event handlers or external references is 400 validation_failed.",
  request: { params: PartnerParams, body: logoBody },
  responses: { 200: json(LogoInfo, "The stored logo") },
});

const readLogo = partners.get("/v1/partners/{partner}/branding/logo", "getPartnerLogo", {
  summary: "The partner's logo (no key: a brand is public)",
  security: [],
  request: { params: PartnerParams },
  responses: { 200: { content: Object.fromEntries(Object.keys(logoBody.content).map((type) => [type, { schema: z.string().openapi({ format: "binary" }) }])), description: "The image" } },
});

const readHostBranding = partners.get("/v1/branding", "getHostBranding", {
  summary: "The brand of the host this request was sent to: a partner's on its host names, else Shelfsync's (no key)",
  security: [],
  responses: { 200: json(HostBranding, "The brand") },
});

async function mintKey(partnerId: string) {
  const secret = formatPartnerKey(partnerId, newKeySecret());
  return { secret, id: newId("key"), keyHash: await sha256Hex(secret) };
}

export const partnerRoutes = createRouter()
  .openapi(createPartner, async (c) => {
    requirePlatformKey(c);
    const input = c.req.valid("json");
    const idempotency = (await idempotencyOf(c, input, { required: true }))!;
    const key = await mintKey(input.id);
    const result = await platformDirectory(c.env).createPartner({ ...input, adminKey: key }, idempotency);
    const created = settle(c, result);
    return c.json({ partner: created.partner, adminKey: { ...created.adminKey, key: result.replayed ? null : key.secret } }, 201);
  })
  .openapi(listPartners, async (c) => {
    requirePlatformKey(c);
    return c.json({ partners: await platformDirectory(c.env).listPartners() }, 200);
  })
  .openapi(listKeys, async (c) => {
    const { partner } = c.req.valid("param");
    await authorizePartner(c, partner);
    return c.json({ keys: await partnerDirectory(c.env, partner).listKeys() }, 200);
  })
  .openapi(createKey, async (c) => {
    const { partner } = c.req.valid("param");
    const input = c.req.valid("json");
    await authorizePartner(c, partner);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const key = await mintKey(partner);
    const result = await partnerDirectory(c.env, partner).createKey(input, key, idempotency);
    const created = settle(c, result).key;
    return c.json({ ...created, key: result.replayed ? null : key.secret }, 201);
  })
  .openapi(revokeKey, async (c) => {
    const { partner, id } = c.req.valid("param");
    await authorizePartner(c, partner);
    const revoked = unwrap(await partnerDirectory(c.env, partner).revokeKey(id)).key;
    partnerKeyChecks.forget(id);
    return c.json(revoked, 200);
  })
  .openapi(rotateKey, async (c) => {
    const { partner, id } = c.req.valid("param");
    const input = c.req.valid("json");
    await authorizePartner(c, partner);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const successor = await mintKey(partner);
    const result = await partnerDirectory(c.env, partner).rotateKey(id, input, successor, idempotency);
    const rotated = settle(c, result);
    partnerKeyChecks.forget(id);
    return c.json({ key: { ...rotated.key, key: result.replayed ? null : successor.secret }, previous: rotated.previous }, 201);
  })
  .openapi(readUsage, async (c) => {
    const { partner } = c.req.valid("param");
    const { month, format } = c.req.valid("query");
    await authorizePartner(c, partner);
    const tenants = await platformDirectory(c.env).listTenants({ partner });
    const rows = await usageOfTenants(c.env, tenants.map((tenant) => tenant.id), month);
    const csv = format === "csv" || (format === undefined && (c.req.header("accept") ?? "").includes("text/csv"));
    if (csv) {
      c.header("Content-Disposition", `attachment; filename="usage-${partner}-${month}.csv"`);
      return c.body(usageCsv(rows), 200, { "Content-Type": "text/csv; charset=utf-8" });
    }
    return c.json({ partner, month, tenants: rows }, 200);
  })
  .openapi(readTenantHealth, async (c) => {
    const { partner } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    await authorizePartner(c, partner);
    const asOf = new Date().toISOString();
    const page = await platformDirectory(c.env).listTenants({ partner, after: cursor, limit: limit + 1 });
    const tenants = await healthOfTenants(c.env, page.slice(0, limit), { requestId: c.get("requestId"), traceId: traceIdOf(c.get("traceparent")) ?? undefined });
    return c.json({ partner, tenants, nextCursor: page.length > limit ? tenants.at(-1)!.tenant : null, asOf }, 200);
  })
  .openapi(putBranding, async (c) => {
    const { partner } = c.req.valid("param");
    const input = c.req.valid("json");
    await authorizePartner(c, partner);
    const saved = unwrap(await platformDirectory(c.env).putBranding(partner, input)).branding;
    hostBrands.forgetAll();
    return c.json(saved, 200);
  })
  .openapi(readBranding, async (c) => {
    const { partner } = c.req.valid("param");
    await authorizePartner(c, partner);
    const branding = await platformDirectory(c.env).getBranding(partner);
    if (!branding) throw new AppError("not_found", `Partner ${partner} has no brand yet: PUT it first`);
    return c.json(branding, 200);
  })
  .openapi(putLogo, async (c) => {
    const { partner } = c.req.valid("param");
    await authorizePartner(c, partner);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxLogoBytes) throw new AppError("payload_too_large", `The logo is over ${maxLogoBytes} bytes`, { limit: maxLogoBytes });
    const type = checkLogo(bytes, c.req.header("content-type"));
    const stored = await partnerDirectory(c.env, partner).putLogo(type, bytes);
    await platformDirectory(c.env).setLogo(partner, stored);
    hostBrands.forgetAll();
    return c.json({ url: `/v1/partners/${partner}/branding/logo?v=${stored.updatedAt}`, contentType: stored.contentType, bytes: stored.bytes, updatedAt: new Date(stored.updatedAt).toISOString() }, 200);
  })
  .openapi(readLogo, async (c) => {
    const { partner } = c.req.valid("param");
    // Asked of the platform directory first: a made-up partner never brings an object of its name into being.
    const logo = (await platformDirectory(c.env).hasPartner(partner)) ? await partnerDirectory(c.env, partner).getLogo() : null;
    if (!logo) throw new AppError("not_found", `No logo for partner ${partner}`);
    return c.body(new Uint8Array(logo.bytes), 200, {
      "Content-Type": logo.contentType,
      "Cache-Control": "public, max-age=300",
      "X-Content-Type-Options": "nosniff",
      // An SVG opened on its own runs nothing, even if one slipped past the upload's check.
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    });
  })
  .openapi(readHostBranding, async (c) => c.json(await hostBrands.of(c.env, hostOf(c.req.url)), 200));
