import type { Context } from "hono";
import { AppError } from "../../shared/errors.ts";
import type { AppEnv } from "../env.ts";
import { createRouter } from "../openapi.ts";

/**
 * The console's page: not the API's script-src of a CDN, only this origin's
 * files; no framing; the partner's logo is one of the API's own URLs.
 */
const pageHeaders = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The console's index.html, for every path under /console: its routes are the browser's (docs/decisions/0035-console.md). */
async function page(c: Context<AppEnv>): Promise<Response> {
  const asset = await c.env.ASSETS.fetch(new URL("/console/", c.req.url));
  if (!asset.ok) throw new AppError("not_found", "The console is not built: run npm install (or node scripts/console-build.ts)");
  const response = new Response(asset.body, asset);
  for (const [name, value] of Object.entries(pageHeaders)) response.headers.set(name, value);
  return response;
}

/** The browser console at /console, from the Worker's static assets (built from console/ by scripts/console-build.ts). */
export const consoleRoutes = createRouter()
  .get("/console/assets/*", async (c) => {
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    if (asset.status === 404) throw new AppError("not_found", `No console asset at ${c.req.path}`);
    return asset;
  })
  .get("/console", page)
  .get("/console/*", page);
