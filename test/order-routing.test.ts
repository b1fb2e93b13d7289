import { describe, expect, it } from "vitest";
import { demandOf, routeOrder } from "../shared/order-routing.ts";

const rules = { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 0, maxUnits: null, maxPercent: null };
const stock = (location: string, onHand: number, reserved = 0, safetyStock = 0) => ({ location, onHand, reserved, safetyStock });

describe("order routing (pure)", () => {
  it("takes the first pool location that has every SKU, in priority order", () => {
    const stocks = new Map([
      ["A", [stock("wh-1", 9), stock("store-a", 2), stock("store-b", 2)]],
      ["B", [stock("store-a", 1), stock("store-b", 1)]],
    ]);
    expect(routeOrder({ rules, pickup: null, demand: [{ sku: "A", qty: 2 }, { sku: "B", qty: 1 }], stocks })).toEqual({
      ok: true,
      allocations: [
        { sku: "A", location: "store-a", qty: 2 },
        { sku: "B", location: "store-a", qty: 1 },
      ],
    });
  });

  it("counts only available units (onHand less safety stock and reservations) and ignores locations outside the pool", () => {
    const stocks = new Map([["A", [stock("wh-1", 5, 3, 1), stock("elsewhere", 100), stock("store-b", 3)]]]);
    expect(routeOrder({ rules, pickup: null, demand: [{ sku: "A", qty: 3 }], stocks })).toEqual({ ok: true, allocations: [{ sku: "A", location: "store-b", qty: 3 }] });
    expect(routeOrder({ rules, pickup: null, demand: [{ sku: "A", qty: 4 }], stocks })).toEqual({
      ok: true,
      allocations: [
        { sku: "A", location: "wh-1", qty: 1 },
        { sku: "A", location: "store-b", qty: 3 },
      ],
    });
  });

  it("reports every short SKU with what the channel could have had, capped by its rules", () => {
    const stocks = new Map([
      ["A", [stock("wh-1", 10)]],
      ["B", [stock("wh-1", 10)]],
    ]);
    const capped = { ...rules, maxUnits: 4 };
    expect(routeOrder({ rules: capped, pickup: null, demand: [{ sku: "A", qty: 4 }, { sku: "B", qty: 5 }, { sku: "C", qty: 1 }], stocks })).toEqual({
      ok: false,
      shortages: [
        { sku: "B", requested: 5, available: 4 },
        { sku: "C", requested: 1, available: 0 },
      ],
    });
  });

  it("reserves a pickup at its location only", () => {
    const stocks = new Map([["A", [stock("wh-1", 10), stock("store-b", 1)]]]);
    expect(routeOrder({ rules, pickup: "store-b", demand: [{ sku: "A", qty: 2 }], stocks })).toEqual({ ok: false, shortages: [{ sku: "A", requested: 2, available: 1 }] });
    expect(routeOrder({ rules, pickup: "store-b", demand: [{ sku: "A", qty: 1 }], stocks })).toEqual({ ok: true, allocations: [{ sku: "A", location: "store-b", qty: 1 }] });
  });

  it("sums the lines of one SKU", () => {
    expect(demandOf([{ sku: "A", qty: 1 }, { sku: "B", qty: 2 }, { sku: "A", qty: 3 }])).toEqual([{ sku: "A", qty: 4 }, { sku: "B", qty: 2 }]);
  });
});
