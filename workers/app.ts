import { requestId } from "hono/request-id";
import { AppError } from "../shared/errors.ts";
import { problemHandler } from "../shared/problem.ts";
import type { AppEnv } from "./env.ts";
import { logLine } from "./log.ts";
import { accessLog } from "./middleware/access-log.ts";
import { auditTrail } from "./middleware/audit-trail.ts";
import { bodySize } from "./middleware/body-size.ts";
import { createRouter } from "./openapi.ts";
import { auditRoutes } from "./routes/audit.ts";
import { availabilityRoutes } from "./routes/availability.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { consoleRoutes } from "./routes/console.ts";
import { connectionRoutes } from "./routes/connections.ts";
import { customerRoutes } from "./routes/customers.ts";
import { erpConnectionRoutes } from "./routes/erp-connections.ts";
import { erpRoutes } from "./routes/erp.ts";
import { eventRoutes } from "./routes/events.ts";
import { exceptionRoutes } from "./routes/exceptions.ts";
import { financeRoutes } from "./routes/finance.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { settlementRoutes } from "./routes/settlements.ts";
import { integrationRoutes } from "./routes/integrations.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { leaseRoutes } from "./routes/leases.ts";
import { loyaltyRoutes } from "./routes/loyalty.ts";
import { storeHealthRoutes } from "./routes/store-health.ts";
import { traceRoutes } from "./routes/traces.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { limitRoutes } from "./routes/limits.ts";
import { orderRoutes } from "./routes/orders.ts";
import { partnerRoutes } from "./routes/partners.ts";
import { reservationRoutes } from "./routes/reservations.ts";
import { allotmentRoutes } from "./routes/allotments.ts";
import { returnRoutes } from "./routes/returns.ts";
import { serveOpenApiDocument, serviceRoutes } from "./routes/service.ts";
import { storeRoutes } from "./routes/stores.ts";
import { tenancyRoutes } from "./routes/tenancy.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/**
 * The edge API: every route of v1, its OpenAPI document at /v1/openapi.json,
 * the docs page at /v1/docs and the browser console at /console.
 */
export function createApp() {
  const app = createRouter();
  app.use("*", requestId());
  app.use("*", accessLog);
  app.use("/v1/*", bodySize);
  app.use("/v1/*", auditTrail);

  app.route("/", sessionRoutes);
  app.route("/", tenancyRoutes);
  app.route("/", partnerRoutes);
  app.route("/", inventoryRoutes);
  app.route("/", reservationRoutes);
  app.route("/", allotmentRoutes);
  app.route("/", availabilityRoutes);
  app.route("/", storeRoutes);
  app.route("/", leaseRoutes);
  app.route("/", storeHealthRoutes);
  app.route("/", traceRoutes);
  app.route("/", metricsRoutes);
  app.route("/", catalogRoutes);
  app.route("/", erpRoutes);
  app.route("/", exceptionRoutes);
  app.route("/", orderRoutes);
  app.route("/", integrationRoutes);
  app.route("/", webhookRoutes);
  app.route("/", returnRoutes);
  app.route("/", eventRoutes);
  app.route("/", connectionRoutes);
  app.route("/", limitRoutes);
  app.route("/", auditRoutes);
  app.route("/", financeRoutes);
  app.route("/", erpConnectionRoutes);
  app.route("/", settlementRoutes);
  app.route("/", customerRoutes);
  app.route("/", loyaltyRoutes);

  app.route("/", serviceRoutes);
  app.route("/", consoleRoutes);
  serveOpenApiDocument(app);
  app.get("/", (c) => c.redirect("/v1/docs"));

  app.notFound((c) => {
    throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(problemHandler({ log: logLine, internalDetail: "Something failed on our side; the request id identifies it in our logs" }));
  return app;
}
