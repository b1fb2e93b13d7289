import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/customer-directory.ts",
  out: "./durable/migrations/customer-directory",
});
