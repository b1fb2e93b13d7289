import { createApp } from "./app.ts";
import { handleEventBatch } from "./events/consumer.ts";

export { ApplicationBudget } from "../durable/application-budget.ts";
export { AvailabilityIndex } from "../durable/availability-index.ts";
export { ChannelConnection } from "../durable/channel-connection.ts";
export { CatalogStore } from "../durable/catalog-store.ts";
export { CustomerDirectory } from "../durable/customer-directory.ts";
export { ConsoleSessions } from "../durable/console-sessions.ts";
export { EventWebhook } from "../durable/event-webhook.ts";
export { ExceptionQueue } from "../durable/exception-queue.ts";
export { ErpConnection } from "../durable/erp-connection.ts";
export { FinanceLedger } from "../durable/finance-ledger.ts";
export { OrderIndex } from "../durable/order-index.ts";
export { OrderProcess } from "../durable/order-process.ts";
export { PlatformDirectory } from "../durable/platform-directory.ts";
export { PartnerDirectory } from "../durable/partner-directory.ts";
export { ShopifyIntegration } from "../durable/shopify-integration.ts";
export { SkuInventory } from "../durable/sku-inventory.ts";
export { AllotmentShard } from "../durable/allotment-shard.ts";
export { StoreLeases } from "../durable/store-leases.ts";
export { CustomerLoyalty } from "../durable/customer-loyalty.ts";
export { StoreHealthBoard } from "../durable/store-health-board.ts";
export { TraceLog } from "../durable/trace-log.ts";
export { AvailabilityShard } from "../durable/availability-shard.ts";
export { StoreIngest } from "../durable/store-ingest.ts";
export { TenantAudit } from "../durable/tenant-audit.ts";
export { TenantErp } from "../durable/tenant-erp.ts";
export { ErpImport } from "../durable/erp-import.ts";
export { TenantRegistry } from "../durable/tenant-registry.ts";
export { TenantReturns } from "../durable/tenant-returns.ts";
export { TenantSettlements } from "../durable/tenant-settlements.ts";

const app = createApp();

/** The HTTP API, and the consumer of the outbound events queue and its dead letter queue. */
export default {
  fetch: app.fetch,
  queue: handleEventBatch,
} satisfies ExportedHandler<Env>;
