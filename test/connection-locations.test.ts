import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { channelConnection } from "../durable/objects.ts";
import addTarget from "../durable/migrations/channel-connection/0006_remote_sku_target.sql";
import keyByTarget from "../durable/migrations/channel-connection/0007_connection_locations.sql";
import { call, createStockedTenant, setStock, type TestTenant } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { eventually } from "./fixtures-model.ts";

/*
 * `locations.byLocation`: a Shelfsync location's own available units, each
 * to a remote location of its own, beside (or instead of) the channel's pool.
 */

const shopLocation = (n: number) => `gid://shopify/Location/${n}`;

/** A Shopify connection of `web`; the refused port keeps its pushes from reaching anything. */
function shopifyConnection(locations: unknown, enabled = false) {
  return {
    type: "shopify",
    channel: "web",
    settings: { shopDomain: "acme-test.myshopify.com", apiVersion: "2026-04", baseUrl: "http://127.0.0.1:9" },
    credentials: { accessToken: "shpat_0123456789abcdef0123456789abcdef" },
    locations,
    enabled,
  };
}

function putConnection(tenant: TestTenant, id: string, body: unknown) {
  return call("PUT", `/v1/connections/${id}`, { key: tenant.adminKey, body });
}

/** The connection's rows, as (target, SKU) → the value Shelfsync wants there. */
async function wantedByTarget(tenant: TestTenant, id: string): Promise<Record<string, number>> {
  const rows = await runInDurableObject(channelConnection(env, tenant.id, id), (_instance, state) =>
    state.storage.sql.exec<{ target: string; sku: string; wanted: number }>("SELECT target, sku, wanted FROM remote_skus ORDER BY target, sku").toArray(),
  );
  return Object.fromEntries(rows.map((row) => [`${row.target || "pool"}:${row.sku}`, row.wanted]));
}

describe("connection location mappings", () => {
  it("publish each mapped location's own available units beside the channel's pool, and forget a location taken out", async () => {
    const tenant = await createStockedTenant();
    await setStock(tenant, "LOC-1", "wh-1", 10);
    await setStock(tenant, "LOC-1", "store-a", 7, 2);
    // web = wh-1 + store-a + store-b, no buffer: 10 + (7 - 2) = 15; store-a alone: 7 - 2 safety = 5.
    await eventually(
      () => call("GET", "/v1/availability/LOC-1?channel=web", { key: tenant.adminKey }),
      (answer) => answer.body.available === 15,
    );

    const created = await putConnection(tenant, "shopify-stores", shopifyConnection({ pool: shopLocation(1), byLocation: { "store-a": shopLocation(2) } }, true));
    expect(created.status).toBe(201);
    expect(created.body.locations).toEqual({ pool: shopLocation(1), byLocation: { "store-a": shopLocation(2) } });
    await runDurableObjectAlarm(channelConnection(env, tenant.id, "shopify-stores"));
    expect(await wantedByTarget(tenant, "shopify-stores")).toEqual({ "pool:LOC-1": 15, "store-a:LOC-1": 5 });

    const status = await call("GET", "/v1/connections/shopify-stores/status", { key: tenant.adminKey });
    expect(status.body.pending).toMatchObject({ skus: 1, pool: 1, byLocation: { "store-a": 1 } });
    expect(Number(status.body.locationCursors["store-a"])).toBeGreaterThan(0);

    // A sale at the store moves the store's own figure (and the pool's).
    await setStock(tenant, "LOC-1", "store-a", 4, 2);
    await eventually(
      () => wantedByTarget(tenant, "shopify-stores"),
      (wanted) => wanted["store-a:LOC-1"] === 2,
    );
    await runDurableObjectAlarm(channelConnection(env, tenant.id, "shopify-stores"));
    expect(await wantedByTarget(tenant, "shopify-stores")).toEqual({ "pool:LOC-1": 12, "store-a:LOC-1": 2 });

    const withoutStore = await putConnection(tenant, "shopify-stores", shopifyConnection({ pool: shopLocation(1) }, true));
    expect(withoutStore.status).toBe(200);
    expect(await wantedByTarget(tenant, "shopify-stores")).toEqual({ "pool:LOC-1": 12 });
    const cursors = await runInDurableObject(channelConnection(env, tenant.id, "shopify-stores"), (_instance, state) => state.storage.sql.exec("SELECT * FROM location_cursors").toArray());
    expect(cursors).toEqual([]);
    await setStock(tenant, "LOC-1", "store-a", 9, 2);
    await runDurableObjectAlarm(channelConnection(env, tenant.id, "shopify-stores"));
    expect(Object.keys(await wantedByTarget(tenant, "shopify-stores"))).toEqual(["pool:LOC-1"]);
  });

  it("may map locations without a pool, on every remote", async () => {
    const tenant = await createStockedTenant();
    await setStock(tenant, "LOC-2", "store-b", 3);
    const created = await putConnection(tenant, "shopify-stores", shopifyConnection({ byLocation: { "store-b": shopLocation(7) } }, true));
    expect(created.status).toBe(201);
    expect(created.body.locations).toEqual({ byLocation: { "store-b": shopLocation(7) } });
    await eventually(
      async () => (await runDurableObjectAlarm(channelConnection(env, tenant.id, "shopify-stores")), wantedByTarget(tenant, "shopify-stores")),
      (wanted) => wanted["store-b:LOC-2"] === 3,
    );
    expect(await wantedByTarget(tenant, "shopify-stores")).toEqual({ "store-b:LOC-2": 3 });
    const walmart = await putConnection(tenant, "walmart-stores", {
      type: "walmart",
      channel: "web",
      settings: { baseUrl: "http://127.0.0.1:9" },
      credentials: { clientId: "wm-client-0123456789", clientSecret: "wm-secret-0123456789abcdefXYZW" },
      locations: { pool: "10001234567", byLocation: { "store-a": "10001234568" } },
      enabled: false,
    });
    expect(walmart.status).toBe(201);
    const amazon = await putConnection(tenant, "amazon-stores", {
      type: "amazon",
      channel: "web",
      settings: { sellerId: "A2EUQ1WTGCTBG2", marketplaceIds: ["ATVPDKIKX0DER"], region: "na", baseUrl: "http://127.0.0.1:9" },
      credentials: { refreshToken: "Atzr|IwEBIA-refresh-token-0123456789-ABCD", clientId: "amzn1.application-oa2-client.0123456789", clientSecret: "amzn1.oa2-cs.v1.secret-0123456789WXYZ" },
      locations: { pool: "DEFAULT", byLocation: { "store-a": "STORE_A" } },
      enabled: false,
    });
    expect(amazon.status).toBe(201);
  });

  it("refuse bad mappings with a problem and change nothing", async () => {
    const tenant = await createStockedTenant();
    const before = await putConnection(tenant, "shopify-main", shopifyConnection({ pool: shopLocation(1), byLocation: { "store-a": shopLocation(2) } }));
    expect(before.status).toBe(201);
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`store-${i}`, shopLocation(100 + i)]));
    const cases: [string, unknown, number, string, string[]][] = [
      ["no target at all", {}, 400, "validation_failed", ["locations"]],
      ["an empty byLocation and no pool", { byLocation: {} }, 400, "validation_failed", ["locations"]],
      ["the pool's remote location again for a store", { pool: shopLocation(1), byLocation: { "store-a": shopLocation(1) } }, 400, "validation_failed", ["locations.byLocation.store-a"]],
      ["one remote location for two stores", { byLocation: { "store-a": shopLocation(3), "store-b": shopLocation(3) } }, 400, "validation_failed", ["locations.byLocation.store-b"]],
      ["a location id that is not one", { byLocation: { "store a!": shopLocation(3) } }, 400, "validation_failed", ["locations.byLocation.store a!"]],
      ["a remote location that is not a Shopify location id", { byLocation: { "store-a": "3" } }, 400, "validation_failed", ["locations.byLocation.store-a"]],
      ["more than 50 locations", { byLocation: tooMany }, 400, "validation_failed", ["locations.byLocation"]],
      ["an unknown field beside them", { pool: shopLocation(1), stores: {} }, 400, "validation_failed", ["locations"]],
      ["a location the tenant does not have", { pool: shopLocation(1), byLocation: { "store-z": shopLocation(3) } }, 422, "unknown_location", []],
    ];
    for (const [what, locations, status, code, paths] of cases) {
      const answer = await putConnection(tenant, "shopify-main", shopifyConnection(locations));
      expectProblem(answer, status, code);
      expect({ what, paths: (answer.body.errors ?? []).map((e: { path: string }) => e.path) }).toEqual({ what, paths });
    }
    expect((await call("GET", "/v1/connections/shopify-main", { key: tenant.adminKey })).body).toEqual(before.body);
  });
});

describe("the remote_skus migration", () => {
  it("keeps every existing row, as the pool's", async () => {
    const tenant = await createStockedTenant();
    await putConnection(tenant, "shopify-main", shopifyConnection({ pool: shopLocation(1) }));
    const rows = await runInDurableObject(channelConnection(env, tenant.id, "shopify-main"), (_instance, state) => {
      const sql = state.storage.sql;
      // remote_skus and location_cursors as they were before 0006, with one SKU confirmed and one pending.
      sql.exec("DROP TABLE remote_skus");
      sql.exec("DROP TABLE location_cursors");
      sql.exec(
        "CREATE TABLE `remote_skus` (`sku` text PRIMARY KEY NOT NULL, `wanted` integer NOT NULL, `wanted_seq` integer NOT NULL, `changed_at` integer NOT NULL, `remote_id` text, `unmapped` integer NOT NULL, `remote` integer, `confirmed_at` integer, `pending` integer NOT NULL)",
      );
      sql.exec("CREATE INDEX `remote_skus_pending` ON `remote_skus` (`pending`,`wanted_seq`)");
      sql.exec("INSERT INTO remote_skus VALUES ('A', 5, 10, 1000, 'gid://shopify/InventoryItem/1', 0, 5, 1100, 0), ('B', 3, 11, 1001, NULL, 0, NULL, NULL, 1)");
      for (const migration of [addTarget, keyByTarget]) for (const statement of migration.split("--> statement-breakpoint")) sql.exec(statement);
      return sql.exec("SELECT target, sku, wanted, remote_id, remote, pending FROM remote_skus ORDER BY sku").toArray();
    });
    expect(rows).toEqual([
      { target: "", sku: "A", wanted: 5, remote_id: "gid://shopify/InventoryItem/1", remote: 5, pending: 0 },
      { target: "", sku: "B", wanted: 3, remote_id: null, remote: null, pending: 1 },
    ]);
  });
});
