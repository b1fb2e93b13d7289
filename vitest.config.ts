import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export const testPlatformKey = "test-platform-key-0123456789";
/** Seals connection credentials in tests: 32 bytes, base64, as CONNECTION_CREDENTIALS_KEY must be. */
export const testCredentialsKey = "dGVzdC1jcmVkZW50aWFscy1rZXktMzItYnl0ZXMhISE=";

/**
 * Three projects: "edge" runs the Worker and its Durable Objects inside workerd
 * through Cloudflare's vitest integration; "node" runs the store agent and the
 * end-to-end tests that start real processes (the edge by wrangler, the agent);
 * "browser" drives the console in Debian's chromium (playwright-core).
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Event deliveries are retried at once, not after 10 s, 20 s, …
              bindings: { PLATFORM_ADMIN_KEY: testPlatformKey, CONNECTION_CREDENTIALS_KEY: testCredentialsKey, EVENT_RETRY_BASE_SECONDS: "0" },
              // wrangler.toml's consumers, but batches go out at once: a test should not wait seconds per attempt.
              queueConsumers: {
                "shelfsync-events": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10, deadLetterQueue: "shelfsync-events-dlq" },
                "shelfsync-events-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10 },
              },
            },
          }),
        ],
        test: {
          name: "edge",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          // Vitest's default on 2 cores is one file at a time. With 2, the edge's files share the two workers with the
          // node project's (the same group): while an end-to-end file waits on its processes, an edge file runs.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["store-agent/**/*.test.ts", "test-e2e/**/*.test.ts", "scripts/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // Every port is the OS's choice and every file has its own state, so two files run at once: on 2 cores the
          // project took 64-76 s this way against 101-110 s one file at a time (docs/decisions/0014).
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test-browser/**/*.test.ts"],
          // Installs Debian's chromium when it is missing (CI's machine starts without it).
          globalSetup: ["test-browser/chromium.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
