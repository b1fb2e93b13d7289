import { describe, expect, it } from "vitest";
import { setStock } from "./api.ts";
import { exceptionById, path, replay } from "./exception-fixtures.ts";
import { skuState } from "./fixtures.ts";
import { reservedOf } from "./order-api.ts";
import { orderOfUnknownSku } from "./shopify-fixtures.ts";

describe("replaying a webhook_unmapped exception runs the stored Shopify payload again", () => {
  it("fails while the cause stands (recorded on the exception), takes the order once it is fixed, and only once", async () => {
    const { tenant, sku, body, exception } = await orderOfUnknownSku();

    const early = await replay(tenant.adminKey, exception.id);

    expect(early.body).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("unknown_sku"),
      exception: { state: "open", replays: 1, lastFailure: { reason: expect.stringContaining("still does not map") } },
    });
    const before = await skuState(tenant.adminKey, sku);
    expect(before.inventory.status).toBe(404);

    await setStock(tenant, sku, "wh-1", 5);
    const fixed = await replay(tenant.adminKey, exception.id);

    expect(fixed.body).toMatchObject({ outcome: "resolved", detail: expect.stringMatching(/^webhook applied: orderId ord_[0-9a-f]{26}, status reserved/), exception: { state: "resolved", replays: 2 } });
    expect(await reservedOf(tenant, sku)).toBe(1);
    expect((await replay(tenant.adminKey, exception.id)).body).toMatchObject({ outcome: "already_closed" });
    expect(await reservedOf(tenant, sku)).toBe(1);
    const read = await exceptionById(tenant, exception.id);
    expect(path(read)).toEqual(["∅→open", "open→retrying", "retrying→open", "open→retrying", "retrying→resolved"]);
    expect(read.payload.body).toBe(body);
  });
});
