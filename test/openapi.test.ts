import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("API description", () => {
  it("serves an OpenAPI 3.1 document generated from the schemas, with every v1 route", async () => {
    const response = await SELF.fetch("https://edge.test/v1/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(document.openapi).toBe("3.1.0");
    for (const [path, method] of [
      ["/v1/tenants", "post"],
      ["/v1/keys", "post"],
      ["/v1/locations/{location}", "put"],
      ["/v1/channels/{channel}", "put"],
      ["/v1/inventory/{sku}/locations/{location}", "put"],
      ["/v1/inventory/{sku}/adjustments", "post"],
      ["/v1/inventory/{sku}", "get"],
      ["/v1/inventory/{sku}/ledger", "get"],
      ["/v1/inventory/{sku}/reservations", "post"],
      ["/v1/inventory/{sku}/reservations/{id}", "get"],
      ["/v1/inventory/{sku}/reservations/{id}/commit", "post"],
      ["/v1/inventory/{sku}/reservations/{id}/release", "post"],
      ["/v1/availability/{sku}", "get"],
      ["/v1/availability", "get"],
      ["/v1/availability/changes", "get"],
      ["/v1/stores/{location}/transactions", "post"],
      ["/v1/stores/{location}/feed", "get"],
      ["/v1/catalog/items/{sku}", "put"],
      ["/v1/catalog/items/{sku}", "get"],
      ["/v1/promotions/{id}", "put"],
      ["/v1/promotions/{id}", "get"],
      ["/v1/exceptions", "get"],
      ["/v1/exceptions/{id}", "get"],
      ["/v1/exceptions/{id}/replay", "post"],
      ["/v1/exceptions/{id}/resolve", "post"],
      ["/v1/settings/events", "put"],
      ["/v1/settings/events", "get"],
    ] as const) {
      expect(document.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(["Problem", "Reservation", "CreateReservationRequest", "SkuInventory", "LedgerPage", "Exception", "ExceptionTransition", "ReplayAnswer", "ResolveExceptionRequest", "EventDeliveryFailedPayload", "OutboundEvent", "PutEventSettingsRequest"]));
  });

  it("serves a docs page that loads that document", async () => {
    const response = await SELF.fetch("https://edge.test/v1/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("/v1/openapi.json");
  });
});
