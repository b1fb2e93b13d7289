import { createApp } from "./app.ts";

export { AvailabilityIndex } from "../durable/availability-index.ts";
export { PlatformDirectory } from "../durable/platform-directory.ts";
export { SkuInventory } from "../durable/sku-inventory.ts";
export { TenantRegistry } from "../durable/tenant-registry.ts";

export default createApp();
