
import { skuObject, tenantRegistry } from "../durable/objects.ts";

export { AvailabilityIndex } from "../durable/availability-index.ts";
export { PlatformDirectory } from "../durable/platform-directory.ts";
export { SkuInventory } from "../durable/sku-inventory.ts";
export { TenantRegistry } from "../durable/tenant-registry.ts";

const rules = { locations: ["wh-1"], bufferUnits: 0, maxUnits: null, maxPercent: null };

/**
 * A profiling Worker for bench/profile.ts: it times the pieces of the
 * reservation path inside workerd, without HTTP in front. Each route runs
 * `n` operations, `concurrency` at a time, and answers the elapsed time.
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1000);
    const concurrency = Number(url.searchParams.get("concurrency") ?? 1);
    const sku = url.searchParams.get("sku") ?? "PROFILE";
    const stub = skuObject(env, "profile", sku);
    const registry = tenantRegistry(env, "profile");
    const operations: Record<string, (i: number) => Promise<unknown>> = {
      "reserve-rpc": (i) => stub.reserve({ qty: 1, channel: "web", rules, ttlSeconds: 900, reference: "p" }, { key: `k-${i}-${Math.random()}`, requestHash: "h" }),
      "read-rpc": () => stub.getInventory(),
      "authorize-rpc": () => registry.lookUp({ channel: "web" }),
    };
    const name = url.pathname.slice(1);
    if (name === "health") return Response.json({ ok: true });
    if (name === "seed") {
      await stub.setStock({ location: "wh-1", onHand: 100_000_000 });
      return Response.json({ ok: true });
    }
    const operation = operations[name];
    if (!operation) return new Response(`unknown operation ${name}`, { status: 404 });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) await operation(next++);
      }),
    );
    // workerd's clock only advances across I/O; every operation here is an RPC.
    const elapsed = performance.now() - started;
    return Response.json({ operation: name, n, concurrency, ms: elapsed, perSecond: (n / elapsed) * 1000 });
  },
};
