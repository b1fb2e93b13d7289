import { runInDurableObject } from "cloudflare:test";
import type { Clock } from "../shared/clock.ts";

/**
 * Makes the Durable Object behind `stub` read the time from `clock`, so a test
 * moves time on (`ManualClock.advance`) instead of waiting for it. An evicted
 * object comes back on the system clock: call this again after an eviction.
 *
 * @example
 * const clock = new ManualClock(Date.now());
 * await useClock(skuObject(env, tenantId, sku), clock);
 * clock.advance(1_001); // a 1-second reservation has expired
 */
export async function useClock(stub: DurableObjectStub, clock: Clock): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    Reflect.set(instance, "clock", clock);
  });
}
