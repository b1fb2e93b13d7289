import { Scalar } from "@scalar/hono-api-reference";
import { requestId } from "hono/request-id";
import { AppError } from "../shared/errors.ts";
import type { AppEnv } from "./env.ts";
import { accessLog } from "./middleware/access-log.ts";
import { bodySize } from "./middleware/body-size.ts";
import { createRouter } from "./openapi.ts";
import { handleError } from "./problem.ts";
import { availabilityRoutes } from "./routes/availability.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { eventRoutes } from "./routes/events.ts";
import { exceptionRoutes } from "./routes/exceptions.ts";
import { integrationRoutes } from "./routes/integrations.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { orderRoutes } from "./routes/orders.ts";
import { reservationRoutes } from "./routes/reservations.ts";
import { returnRoutes } from "./routes/returns.ts";
import { storeRoutes } from "./routes/stores.ts";
import { tenancyRoutes } from "./routes/tenancy.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/**
 * The edge API: every route of v1, its OpenAPI document at /v1/openapi.json
 * and the docs page at /v1/docs.
 */
export function createApp() {
  const app = createRouter();
  app.use("*", requestId());
  app.use("*", accessLog);
  app.use("/v1/*", bodySize);

  app.route("/", tenancyRoutes);
  app.route("/", inventoryRoutes);
  app.route("/", reservationRoutes);
  app.route("/", availabilityRoutes);
  app.route("/", storeRoutes);
  app.route("/", catalogRoutes);
  app.route("/", exceptionRoutes);
  app.route("/", orderRoutes);
  app.route("/", integrationRoutes);
  app.route("/", webhookRoutes);
  app.route("/", returnRoutes);
  app.route("/", eventRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "A tenant API key (ssk_…), or the platform key for POST /v1/tenants." });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Shelfsync edge API",
      version: "1.0.0",
      description:
        "Inventory per SKU, reservations, channel availability, store agents' POS transactions and feed, catalog, orders, returns, exceptions with replay, and outbound events to the tenant's webhook. Errors are RFC 9457 problem+json with a stable `code`.",
    },
  });
  app.get("/v1/docs", Scalar({ url: "/v1/openapi.json", pageTitle: "Shelfsync API" }));
  app.get("/", (c) => c.redirect("/v1/docs"));
  app.get("/health", (c) => c.json({ ok: true }));

  app.notFound((c) => {
    throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(handleError);
  return app;
}
