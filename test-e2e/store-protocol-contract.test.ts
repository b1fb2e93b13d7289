import { describe } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import { storeProtocolContract, type ContractStore } from "../store-agent/testing/store-protocol-contract.ts";
import { location, seedStore, useEdge } from "./harness.ts";

const host = useEdge("contract");

/** A new tenant with the store location and its key, at the real edge; items and stock through the operator's API. */
async function newEdgeStore(): Promise<ContractStore> {
  const url = host.edge.url;
  const { adminKey, storeKey } = await seedStore(url, {});
  return {
    url,
    location,
    storeKey,
    async putItem(sku, price) {
      await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: adminKey, body: { name: `Item ${sku}`, barcodes: [], price, currency: "USD" } });
    },
    async setOnHand(sku, onHand) {
      await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: adminKey, body: { onHand, safetyStock: 0 } });
    },
  };
}

describe("the real edge (the Worker in Miniflare) keeps the store protocol", () => storeProtocolContract(() => ({ newStore: newEdgeStore })));
