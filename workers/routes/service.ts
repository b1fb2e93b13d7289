import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { AppError } from "../../shared/errors.ts";
import type { HostBranding } from "../../shared/schemas/partners.ts";
import { sessionCookie } from "../../shared/session-tokens.ts";
import { hostBrands, hostOf } from "../partners/branding.ts";
import type { AppEnv } from "../env.ts";
import { createRouter, json } from "../openapi.ts";

/**
 * Where the docs page loads Scalar's browser bundle from: this Worker's static assets, never a CDN,
 * so the page works on a network that reaches nothing but the edge. scripts/docs-assets.ts copies
 * the bundle from the npm package to the same path under ./public (npm install runs it).
 */
export const docsScriptPath = "/v1/docs/assets/scalar-api-reference.js";

const tags = [
  { name: "Tenancy", description: "Tenants, API keys and their roles, locations and channels." },
  { name: "Sessions", description: "The browser console's sign-in: a key exchanged for a short-lived session cookie, and sign-out." },
  { name: "Partners", description: "White-label operators over their tenants: partner keys, usage per tenant and month, branding per host name." },
  { name: "Inventory", description: "Stock per SKU and location: snapshots, adjustments and the movement ledger." },
  { name: "Reservations", description: "Units held for a channel until committed, released or expired." },
  { name: "Availability", description: "What each channel may sell, from the availability read model." },
  { name: "Stores", description: "The store agent's protocol: POS transactions in, the store's feed out." },
  { name: "Store leases", description: "Units a store holds so that it can sell them while offline without uncovering a channel's reservation." },
  { name: "Catalog", description: "Items, barcodes, prices and promotions." },
  { name: "Orders", description: "Channel orders: routing, reservation, fulfilment and cancellation." },
  { name: "Returns", description: "Returns (RMAs) against fulfilled order lines, their receipts and refunds." },
  {
    name: "Loyalty",
    description: "A customer's points: earned by sales (POS and channels), held and redeemed at checkout or the till, reversed by returns, expiring by lots; each point spent once (docs/decisions/0038).",
  },
  { name: "Customers", description: "The tenant's customers, found by normalised email, phone or loyalty id: duplicates merged by the tenant's rule, erasure, contact masked for roles that do not need it." },
  { name: "Exceptions", description: "What a person should look at, and the replay of the failed step." },
  { name: "Integrations", description: "Connections to other platforms (Shopify)." },
  { name: "Webhooks", description: "Inbound webhooks, authenticated by the platform's signature instead of an API key." },
  { name: "Events", description: "Outbound events to the tenant's webhook." },
  { name: "Connections", description: "Channels pushed out to their remotes (Shopify): availability kept there within the remote's budget." },
  { name: "Rate limits", description: "The tenant's limits per key and for the whole tenant; over them, 429 rate_limited with Retry-After and RateLimit headers." },
  { name: "Traces", description: "The hops of a trace (W3C traceparent) across the system: a POS transaction from the till to its stock movement." },
  { name: "Audit", description: "The tenant's append-only audit trail of writes and sign-ins." },
  { name: "Service", description: "Health, this document and its docs page: no key needed." },
];

const openApiDocument = createRoute({
  method: "get",
  path: "/v1/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["Service"],
  summary: "This OpenAPI 3.1 document, generated from the routes' zod schemas",
  security: [],
  responses: { 200: json(z.record(z.string(), z.unknown()), "The OpenAPI document") },
});

const docsPage = createRoute({
  method: "get",
  path: "/v1/docs",
  operationId: "getApiDocs",
  tags: ["Service"],
  summary: "The API reference page (Scalar), rendering /v1/openapi.json; every script it loads comes from this Worker",
  security: [],
  responses: { 200: { content: { "text/html": { schema: z.string() } }, description: "The HTML page" } },
});

const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Service"],
  summary: "Whether the Worker answers (for uptime monitors)",
  security: [],
  responses: { 200: json(z.object({ ok: z.literal(true) }), "The Worker is up") },
});

const scalarOptions = {
  url: "/v1/openapi.json",
  pageTitle: "Shelfsync API",
  cdn: docsScriptPath,
  // Offline: the system's fonts instead of fonts.scalar.com, and no usage reports to Scalar.
  withDefaultFonts: false,
  telemetry: false,
};

const scalarPage = Scalar<AppEnv>(scalarOptions);

/** The docs page under a partner's brand: its name (and logo) in a bar above the reference, in its colours. */
function brandedHtml(html: string, brand: HostBranding): string {
  const name = escapeHtml(brand.displayName);
  const logo = brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="${name} logo" style="height:32px;vertical-align:middle;margin-right:12px">` : "";
  const bar = `<header data-partner="${escapeHtml(brand.partner ?? "")}" style="padding:12px 20px;background:${brand.colors.primary};color:${brand.colors.text ?? "#ffffff"};font:600 18px system-ui,sans-serif">${logo}<span>${name}</span></header>`;
  return html.replace(/<body([^>]*)>/i, (tag) => `${tag}${bar}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Health, the docs page and the page's script: the routes that are not the business API. */
export const serviceRoutes = createRouter()
  .openapi(health, (c) => c.json({ ok: true as const }, 200))
  .openapi(docsPage, async (c, next) => {
    const brand = await hostBrands.of(c.env, hostOf(c.req.url));
    if (brand.partner === null) return (await scalarPage(c, next)) ?? c.notFound();
    const page = await Scalar<AppEnv>({ ...scalarOptions, pageTitle: `${brand.displayName} API` })(c, next);
    if (!page) return c.notFound();
    return c.html(brandedHtml(await page.text(), brand), 200);
  })
  .get("/v1/docs/assets/*", async (c) => {
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    if (asset.status === 404) throw new AppError("not_found", `No docs asset at ${c.req.path}`);
    return asset;
  });

/**
 * Serves GET /v1/openapi.json, the document of every route `app` has when it is first asked for:
 * call it once the route groups are mounted.
 *
 * The one server is "/", relative: a client resolves it against the URL it fetched the document
 * from, so the document is the same on every host (local, staging, production) and the committed
 * generated client can be checked against it byte for byte.
 */
export function serveOpenApiDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A tenant API key (ssk_…); a partner key (ssp_…) for the partner's routes, POST and GET /v1/tenants, and, with an X-Shelfsync-Tenant header naming one of its tenants, every tenant route as that tenant's admin; or the platform key for POST and GET /v1/tenants and /v1/partners.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: sessionCookie,
    description: "The browser console's session (POST /v1/sessions): it stands for the key it was made from. Writes made with it need the session's CSRF token in X-Shelfsync-CSRF.",
  });
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.openapi(openApiDocument, async (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Shelfsync edge API",
        version: "1.0.0",
        description:
          "Inventory per SKU, reservations, channel availability, store agents' POS transactions and feed, catalog, orders, returns, exceptions with replay, and outbound events to the tenant's webhook. Errors are RFC 9457 problem+json with a stable `code`.",
      },
      servers: [{ url: "/", description: "The origin this document was fetched from" }],
      tags,
    });
    const brand = await hostBrands.of(c.env, hostOf(c.req.url));
    // On a partner's host the document carries the partner's name; elsewhere it is the same document byte for byte.
    if (brand.partner !== null) return c.json({ ...document, info: { ...document.info, title: `${brand.displayName} API` } }, 200);
    return c.json(document, 200);
  });
}
