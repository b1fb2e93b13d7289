import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import type { ErpFileList } from "../shared/schemas/erp-connections.ts";
import { parseCsv } from "../test/finance-fixtures.ts";
import { closedDay, drained } from "./erp-fixtures.ts";
import { FakeFileInbox } from "./fakes/file-inbox.ts";
import { useEdge } from "./harness.ts";

/*
 * The file connection from a real edge (Miniflare): each journal's NetSuite
 * import CSV downloadable, and delivered once to a loopback endpoint with
 * its external id as Idempotency-Key, across a 503 and a lost answer.
 */

const rig = useEdge("erp-file");

describe("a file connection", () => {
  it("delivers each journal's CSV once, External ID on every row, retrying until a 2xx, and keeps it downloadable", async () => {
    const inbox = await FakeFileInbox.start();
    onTestFinished(() => inbox.close());
    const { store, journals } = await closedDay(rig.edge, 3);
    inbox.failNext("5xx", "cut-after-apply");
    const put = await edgeRequest(rig.edge.url, "PUT", "/v1/erp/connections/files", { key: store.adminKey, body: { type: "file", settings: { deliverTo: inbox.url }, credentials: { bearerToken: "inbox-token-123456" } } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ credentials: { bearerToken: "••••••••3456" } });

    await drained(rig.edge, store, "files");
    expect([...inbox.files.keys()].sort()).toEqual(journals.map((journal) => journal.id).sort());
    expect(inbox.stats).toMatchObject({ resent: 1, withoutKey: 0 });
    const list = await edgeCall<ErpFileList>(rig.edge.url, "GET", "/v1/erp/connections/files/files", { key: store.adminKey });
    expect(list.files.map((file) => [file.journalId, file.delivered])).toEqual(journals.map((journal) => [journal.id, true]));

    for (const { id } of journals) {
      const delivered = inbox.files.get(id)!;
      expect(delivered.contentType).toMatch(/^text\/csv/);
      const rows = parseCsv(delivered.body);
      expect(rows[0]![0]).toBe("External ID");
      expect(rows.slice(1).every((row) => row[0] === id)).toBe(true);
      const download = await fetch(`${rig.edge.url}/v1/erp/connections/files/files/${id}`, { headers: { authorization: `Bearer ${store.adminKey}` } });
      expect(download.status).toBe(200);
      expect(await download.text()).toBe(delivered.body);
    }
    const posts = inbox.stats.posts;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(inbox.stats.posts).toBe(posts);
  });

  it("without deliverTo, keeps the files downloadable only; http to another host is refused, nothing changed", async () => {
    const { store, journals } = await closedDay(rig.edge, 1);
    const refused = await edgeRequest(rig.edge.url, "PUT", "/v1/erp/connections/download", { key: store.adminKey, body: { type: "file", settings: { deliverTo: "http://erp.example.com/inbox" } } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: "validation_failed" });
    expect((await edgeRequest(rig.edge.url, "GET", "/v1/erp/connections/download", { key: store.adminKey })).status).toBe(404);

    expect((await edgeRequest(rig.edge.url, "PUT", "/v1/erp/connections/download", { key: store.adminKey, body: { type: "file", settings: {} } })).status).toBe(201);
    await drained(rig.edge, store, "download");
    const list = await edgeCall<ErpFileList>(rig.edge.url, "GET", "/v1/erp/connections/download/files", { key: store.adminKey });
    expect(list.files).toMatchObject(journals.map((journal) => ({ journalId: journal.id, delivered: false, deliveredAt: null })));
    expect((await edgeRequest(rig.edge.url, "GET", "/v1/erp/connections/download/files/JE-nope", { key: store.adminKey })).status).toBe(404);
  });
});
