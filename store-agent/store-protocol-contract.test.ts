import { describe, onTestFinished } from "vitest";
import { FakeEdge } from "./testing/fake-edge.ts";
import { location, storeKey } from "./testing/fixtures.ts";
import { storeProtocolContract, type ContractStore } from "./testing/store-protocol-contract.ts";

/** A FakeEdge of its own per store, seeded through publish() as an operator's changes would reach the feed. */
async function newFakeStore(): Promise<ContractStore> {
  const edge = await FakeEdge.start({ location, storeKey });
  onTestFinished(() => edge.close());
  const updatedAt = () => new Date().toISOString();
  return {
    url: edge.url,
    location,
    storeKey,
    async putItem(sku, price) {
      edge.publish({ kind: "item", item: { sku, name: `Item ${sku}`, price, currency: "USD", barcodes: [], updatedAt: updatedAt() } });
    },
    async setOnHand(sku, onHand) {
      edge.publish({ kind: "stock", stock: { sku, location, onHand, available: Math.max(0, onHand), leased: 0, updatedAt: updatedAt() } });
    },
  };
}

describe("the FakeEdge keeps the store protocol", () => storeProtocolContract(() => ({ newStore: newFakeStore })));
