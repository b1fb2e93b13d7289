import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { expectProblem } from "./fixtures.ts";

const origin = "https://edge.test";

async function docsPage(): Promise<string> {
  const response = await SELF.fetch(`${origin}/v1/docs`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/html");
  return response.text();
}

describe("the API docs page works without the internet", () => {
  it("loads the document and every script from the Worker's own origin", async () => {
    const html = await docsPage();
    expect(html).toContain("/v1/openapi.json");
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((match) => new URL(match[1]!, `${origin}/v1/docs`));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((url) => url.origin !== origin).map(String)).toEqual([]);
    // Nothing else on the page points off-site either (stylesheets, fonts, preloads).
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:[a-z]+:)?\/\//i);
  });

  it("serves the page's script from the static assets, as JavaScript", async () => {
    const html = await docsPage();
    const [src] = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((match) => match[1]!);
    const script = await SELF.fetch(new URL(src!, `${origin}/v1/docs`));
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^(?:text|application)\/javascript\b/);
    // Scalar's standalone bundle: it defines what the page calls (Scalar.createApiReference).
    expect(await script.text()).toContain("createApiReference");
  });

  it("answers not_found for a docs asset that does not exist", async () => {
    const response = await SELF.fetch(`${origin}/v1/docs/assets/missing.js`);
    const text = await response.text();
    expectProblem({ status: response.status, headers: response.headers, body: JSON.parse(text) }, 404, "not_found");
  });
});
