import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/partner-directory.ts",
  out: "./durable/migrations/partner-directory",
});
