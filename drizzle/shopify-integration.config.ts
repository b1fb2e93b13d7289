import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/shopify-integration.ts",
  out: "./durable/migrations/shopify-integration",
});
