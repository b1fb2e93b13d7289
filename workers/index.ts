import { createApp } from "./app.ts";

export { AvailabilityIndex } from "../durable/availability-index.ts";
export { CatalogStore } from "../durable/catalog-store.ts";
export { ExceptionQueue } from "../durable/exception-queue.ts";
export { OrderIndex } from "../durable/order-index.ts";
export { OrderProcess } from "../durable/order-process.ts";
export { PlatformDirectory } from "../durable/platform-directory.ts";
export { ShopifyIntegration } from "../durable/shopify-integration.ts";
export { SkuInventory } from "../durable/sku-inventory.ts";
export { StoreIngest } from "../durable/store-ingest.ts";
export { TenantRegistry } from "../durable/tenant-registry.ts";
export { TenantReturns } from "../durable/tenant-returns.ts";

export default createApp();
