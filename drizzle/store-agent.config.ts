import { defineConfig } from "drizzle-kit";

/** The store agent's local libSQL file; the agent applies these at start with drizzle's libsql migrator. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./store-agent/db/schema.ts",
  out: "./store-agent/migrations",
});
