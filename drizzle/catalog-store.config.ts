import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/catalog-store.ts",
  out: "./durable/migrations/catalog-store",
});
