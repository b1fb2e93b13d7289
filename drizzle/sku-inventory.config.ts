import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/sku-inventory.ts",
  out: "./durable/migrations/sku-inventory",
});
