import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../workers/app.ts";

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
}

interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** Routes the app serves that are not API operations: the redirect to the docs, the docs page's script and the console's files. */
const notOperations = ["GET /", "GET /v1/docs/assets/*", "GET /console", "GET /console/*", "GET /console/assets/*"];

/** The operations anyone may call: a new one needs a reason to join them. */
const publicOperations = ["getApiDocs", "getHealth", "getHostBranding", "getOpenApiDocument", "getPartnerLogo", "receiveShopifyWebhook"];

async function servedDocument(): Promise<OpenApiDocument> {
  const response = await SELF.fetch("https://edge.test/v1/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

/** Every "METHOD /path" the app routes, in OpenAPI's notation (`:sku` becomes `{sku}`); middleware is not a route. */
function appRoutes(): string[] {
  const routes = createApp()
    .routes.filter((route) => route.method !== "ALL")
    .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
  return [...new Set(routes)].sort();
}

function operations(document: OpenApiDocument): (Operation & { route: string })[] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ ...operation, route: `${method.toUpperCase()} ${path}` })));
}

describe("API description", () => {
  it("documents every route the app serves, with its method, and no route it does not", async () => {
    const document = await servedDocument();
    const served = appRoutes();
    // The derivation itself: every group of routes is there, so an empty or partial list cannot pass.
    expect(served).toEqual(
      expect.arrayContaining([
        "POST /v1/tenants",
        "PUT /v1/inventory/{sku}/locations/{location}",
        "POST /v1/inventory/{sku}/reservations",
        "GET /v1/availability/{sku}",
        "POST /v1/stores/{location}/transactions",
        "PUT /v1/catalog/items/{sku}",
        "POST /v1/exceptions/{id}/replay",
        "POST /v1/orders/{id}/fulfillments",
        "POST /v1/returns/{id}/receive",
        "PUT /v1/integrations/shopify",
        "POST /v1/webhooks/shopify/{tenant}",
        "PUT /v1/settings/events",
        "GET /health",
        ...notOperations,
      ]),
    );
    const documented = operations(document).map((operation) => operation.route).sort();
    expect(documented).toEqual(served.filter((route) => !notOperations.includes(route)));
  });

  it("gives every operation a unique camelCase operationId and an explicit security requirement", async () => {
    const all = operations(await servedDocument());
    const ids = all.map((operation) => operation.operationId);
    expect(all.filter((operation) => !/^[a-z][A-Za-z0-9]*$/.test(operation.operationId ?? "")).map((operation) => operation.route)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.filter((operation) => operation.security === undefined).map((operation) => operation.route)).toEqual([]);
    const open = all.filter((operation) => operation.security?.length === 0).map((operation) => operation.operationId);
    expect(open.sort()).toEqual(publicOperations);
    expect(all.filter((operation) => operation.security?.length).every((operation) => operation.security?.some((requirement) => "bearer" in requirement || "session" in requirement))).toBe(true);
  });

  it("is OpenAPI 3.1 generated from the shared schemas, served relative to its own origin", async () => {
    const document = await servedDocument();
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers?.map((server) => server.url)).toEqual(["/"]);
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(["Problem", "Reservation", "CreateReservationRequest", "SkuInventory", "LedgerPage", "Exception", "ExceptionTransition", "ReplayAnswer", "ResolveExceptionRequest", "EventDeliveryFailedPayload", "OutboundEvent", "PutEventSettingsRequest"]));
  });
});
