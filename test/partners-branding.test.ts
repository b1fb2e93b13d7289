import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, platformKey, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { createPartner } from "./partner-fixtures.ts";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

function brandingOf(hosts: string[], displayName = "Northwind Ops") {
  return { displayName, colors: { primary: "#0a5fff", accent: "#ffaa00" }, support: { email: "help@northwind.example", url: "https://northwind.example/help" }, hosts };
}

function upload(partnerId: string, key: string, bytes: Uint8Array | string, contentType: string) {
  return SELF.fetch(`https://edge.test/v1/partners/${partnerId}/branding/logo`, { method: "PUT", headers: { authorization: `Bearer ${key}`, "content-type": contentType }, body: bytes });
}

async function problemOf(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ((await response.json()) as { code: string }).code };
}

describe("branding per partner: its name, colours, support, logo and host names", () => {
  quietAccessLog();

  it("a partner's host shows its brand on GET /v1/branding and on the docs page; any other host shows Shelfsync's", async () => {
    const partner = await createPartner();
    const host = `${unique("ops")}.northwind.example`;
    const put = await call("PUT", `/v1/partners/${partner.id}/branding`, { key: partner.key, body: brandingOf([host]) });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ partner: partner.id, displayName: "Northwind Ops", hosts: [host], logo: null });
    const logo = await upload(partner.id, partner.key, png, "image/png");
    expect(logo.status).toBe(200);

    const brand = await (await SELF.fetch(`https://${host}/v1/branding`)).json<Record<string, unknown>>();
    expect(brand).toMatchObject({ partner: partner.id, displayName: "Northwind Ops", colors: { primary: "#0a5fff" }, logoUrl: expect.stringContaining(`/v1/partners/${partner.id}/branding/logo`) });
    const image = await SELF.fetch(`https://${host}${brand.logoUrl as string}`);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);

    const docs = await (await SELF.fetch(`https://${host}/v1/docs`)).text();
    expect(docs).toContain("<title>Northwind Ops API</title>");
    expect(docs).toContain(`src="/v1/partners/${partner.id}/branding/logo`);
    expect(docs).not.toContain("Shelfsync API");
    const document = await (await SELF.fetch(`https://${host}/v1/openapi.json`)).json<{ info: { title: string } }>();
    expect(document.info.title).toBe("Northwind Ops API");

    expect(await (await SELF.fetch("https://edge.test/v1/branding")).json()).toMatchObject({ partner: null, displayName: "Shelfsync" });
    const plain = await (await SELF.fetch("https://edge.test/v1/docs")).text();
    expect(plain).toContain("Shelfsync API");
    expect(plain).not.toContain("Northwind");
  });

  it("a host name serves one partner: another partner's claim is 409 and changes nothing", async () => {
    const a = await createPartner();
    const b = await createPartner();
    const host = `${unique("shared")}.example.com`;
    expect((await call("PUT", `/v1/partners/${a.id}/branding`, { key: a.key, body: brandingOf([host], "A") })).status).toBe(200);
    expectProblem(await call("PUT", `/v1/partners/${b.id}/branding`, { key: b.key, body: brandingOf([`${unique("own")}.example.com`, host], "B") }), 409, "conflict");
    expectProblem(await call("GET", `/v1/partners/${b.id}/branding`, { key: b.key }), 404, "not_found");
    expect(await (await SELF.fetch(`https://${host}/v1/branding`)).json()).toMatchObject({ partner: a.id, displayName: "A" });
    // A gives the host up; then B may have it.
    expect((await call("PUT", `/v1/partners/${a.id}/branding`, { key: a.key, body: brandingOf([], "A") })).status).toBe(200);
    expect((await call("PUT", `/v1/partners/${b.id}/branding`, { key: platformKey, body: brandingOf([host], "B") })).status).toBe(200);
    expect(await (await SELF.fetch(`https://${host}/v1/branding`)).json()).toMatchObject({ partner: b.id });
  });

  it("refuses bad colours, contacts and host names with validation_failed", async () => {
    const partner = await createPartner();
    const bad = [
      { ...brandingOf([]), colors: { primary: "blue" } },
      { ...brandingOf([]), support: { email: "not-an-email" } },
      { ...brandingOf([]), support: {} },
      brandingOf(["Bad_Host.example"]),
      brandingOf(["a.example.com", "a.example.com"]),
      brandingOf(["example.com:8080"]),
    ];
    for (const body of bad) expectProblem(await call("PUT", `/v1/partners/${partner.id}/branding`, { key: partner.key, body }), 400, "validation_failed");
  });

  it("checks a logo by its bytes: a wrong declared type, a non-image, an SVG with a script and an oversized file are refused", async () => {
    const partner = await createPartner();
    expect(await problemOf(await upload(partner.id, partner.key, png, "image/jpeg"))).toEqual({ status: 415, code: "unsupported_media_type" });
    expect(await problemOf(await upload(partner.id, partner.key, "<html><script>alert(1)</script></html>", "image/png"))).toEqual({ status: 415, code: "unsupported_media_type" });
    const scripted = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    expect(await problemOf(await upload(partner.id, partner.key, scripted, "image/svg+xml"))).toEqual({ status: 400, code: "validation_failed" });
    const handler = '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)" width="1" height="1"/></svg>';
    expect(await problemOf(await upload(partner.id, partner.key, handler, "image/svg+xml"))).toEqual({ status: 400, code: "validation_failed" });
    const big = new Uint8Array(256 * 1024 + 1);
    big.set(png);
    expect(await problemOf(await upload(partner.id, partner.key, big, "image/png"))).toEqual({ status: 413, code: "payload_too_large" });
    expect((await SELF.fetch(`https://edge.test/v1/partners/${partner.id}/branding/logo`)).status).toBe(404);

    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#0a5fff"/></svg>';
    const stored = await upload(partner.id, partner.key, svg, "image/svg+xml");
    expect(stored.status).toBe(200);
    const served = await SELF.fetch(`https://edge.test/v1/partners/${partner.id}/branding/logo`);
    expect(served.headers.get("content-type")).toBe("image/svg+xml");
    expect(served.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await served.text()).toBe(svg);
    const webp = new Uint8Array([0x52, 0x49, 0x46, 0x46, 4, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20]);
    expect((await upload(partner.id, partner.key, webp, "image/webp")).status).toBe(200);
  });
});
