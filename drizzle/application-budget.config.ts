import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/application-budget.ts",
  out: "./durable/migrations/application-budget",
});
