import { resolve } from "node:path";
import { expect, it } from "vitest";
import { AgentConfig, ConfigError, DataDirConfig, maskKey, parseConfig, rawSettings } from "./env.ts";

const env = {
  SHELFSYNC_EDGE_URL: "https://edge.example.com",
  SHELFSYNC_STORE_KEY: "ssk_acme_0123456789abcdefghjkmnpqrstvwxyz012345",
  SHELFSYNC_LOCATION: "store-001",
  SHELFSYNC_PORT: "9000",
};

it("reads the environment, lets flags win, and fills in defaults", () => {
  const config = parseConfig(AgentConfig, rawSettings({ port: "9100", location: "store-002" }, env));
  expect(config).toEqual({
    edgeUrl: "https://edge.example.com",
    storeKey: env.SHELFSYNC_STORE_KEY,
    location: "store-002",
    port: 9100,
    dataDir: resolve("shelfsync-agent-data"),
    host: "127.0.0.1",
    allowedHosts: [],
    terminalRatePerSecond: 10,
    terminalBurst: 50,
    pullIntervalSeconds: 30,
    healthIntervalSeconds: 30,
    maxBackoffSeconds: 30,
    edgeTimeoutSeconds: 30,
    loyaltyHoldCap: 500,
    offlineRedemption: "refuse",
  });
});

it("ignores empty values", () => {
  const config = parseConfig(AgentConfig, rawSettings({ location: "" }, { ...env, SHELFSYNC_PORT: "" }));
  expect([config.location, config.port]).toEqual(["store-001", 8790]);
});

it("names the flag and the variable of every bad or missing setting", () => {
  const attempt = () => parseConfig(AgentConfig, rawSettings({ port: "http" }, { SHELFSYNC_EDGE_URL: "ftp://edge" }));
  expect(attempt).toThrow(ConfigError);
  expect(attempt).toThrow(/--edge-url \/ SHELFSYNC_EDGE_URL: an http or https URL/);
  expect(attempt).toThrow(/ SHELFSYNC_STORE_KEY: not set/);
  expect(attempt).toThrow(/--location \/ SHELFSYNC_LOCATION: not set/);
  expect(attempt).toThrow(/--port \/ SHELFSYNC_PORT/);
});

it("needs only the data dir to read the status", () => {
  expect(parseConfig(DataDirConfig, rawSettings({ dataDir: "/var/lib/agent" }, {}))).toEqual({ dataDir: "/var/lib/agent" });
});

it("masks the store key but for its tenant prefix and last four characters", () => {
  expect(maskKey("ssk_acme_0123456789abcdefghjkmnpqrstvwxyz012345")).toBe("ssk_acme_****2345");
  expect(maskKey("short")).toBe("****");
});

it("never takes the store key from a flag, and splits the Host allowlist", () => {
  const raw = rawSettings({ storeKey: "ssk_from_a_flag", allowedHosts: "Till-PC.local, 192.168.1.10:8790" }, { SHELFSYNC_STORE_KEY: "" });
  expect(raw.storeKey).toBeUndefined();
  const config = parseConfig(AgentConfig, rawSettings({ allowedHosts: "Till-PC.local, 192.168.1.10:8790" }, env));
  expect(config.allowedHosts).toEqual(["till-pc.local", "192.168.1.10:8790"]);
});
