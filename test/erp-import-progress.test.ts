import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyBatchRows } from "../durable/erp-import.ts";
import { erpImport } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { getImport, postImport, settleImport } from "./erp-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

const rowCount = 3000;

/** A CSV body produced a few rows at a time, as a large upload arrives; `gate` holds back everything after row `heldAfter`. */
function slowCsv(heldAfter: number, gate: Promise<void>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 1;
  return new ReadableStream({
    async pull(controller) {
      if (next === 1) controller.enqueue(encoder.encode("sku,name,price,currency\n"));
      if (next > heldAfter) await gate;
      const lines: string[] = [];
      for (let end = Math.min(next + 49, rowCount); next <= end; next++) lines.push(next % 1000 === 0 ? `BAD ${next},x,1,USD` : `SKU-${next},Item ${next},${next},USD`);
      controller.enqueue(encoder.encode(`${lines.join("\n")}\n`));
      if (next > rowCount) controller.close();
    },
  });
}

describe("a large ERP import", () => {
  it("is staged while it streams, shows progress while it is received and applied, then reports every row", async () => {
    const tenant = await createTenant();
    const id = "items-large";
    // The object's clock far ahead: its alarm is not due in real time, so this test steps it.
    await useClock(erpImport(env, tenant.id, id), new ManualClock(Date.parse("2100-01-01T00:00:00Z")));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const posting = postImport(tenant, "items", slowCsv(1200, gate), { id });

    let during = (await getImport(tenant, id)).body;
    for (let wait = 0; during?.rows?.received !== 1000 && wait < 400; wait++) {
      await scheduler.wait(5);
      during = (await getImport(tenant, id)).body;
    }
    expect(during).toMatchObject({ status: "receiving", checksum: null, rows: { received: 1000, accepted: 0, pending: 999, rejected: 1 } });
    release();

    const posted = await posting;
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ status: "applying", rows: { received: rowCount, accepted: 0, rejected: 3, pending: rowCount - 3 } });

    expect(await runDurableObjectAlarm(erpImport(env, tenant.id, id))).toBe(true);
    expect((await getImport(tenant, id)).body).toMatchObject({ status: "applying", rows: { accepted: applyBatchRows, pending: rowCount - 3 - applyBatchRows } });

    const report = await settleImport(tenant, id);
    expect(report).toMatchObject({ status: "done", rows: { received: rowCount, accepted: rowCount - 3, rejected: 3, ignored: 0, pending: 0 }, completedAt: "2100-01-01T00:00:00.000Z" });
    expect(report.lines.map((line) => line.row)).toEqual([1001, 2001, 3001]);
    expect((await call("GET", `/v1/catalog/items/SKU-${rowCount - 1}`, { key: tenant.adminKey })).body.price).toBe(rowCount - 1);
  });
});
