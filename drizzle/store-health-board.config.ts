import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/store-health-board.ts",
  out: "./durable/migrations/store-health-board",
});
