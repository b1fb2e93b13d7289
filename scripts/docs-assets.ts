import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Copies Scalar's browser bundle from node_modules into the Worker's static assets, where the
 * docs page loads it (`docsScriptPath` in workers/routes/service.ts): no CDN, so /v1/docs works
 * on a network that reaches nothing but the edge. Run by `npm install` (postinstall); the copy
 * is git-ignored, so an upgrade of @scalar/api-reference brings its own bundle.
 *
 * @example
 * node scripts/docs-assets.ts
 */
const projectRoot = fileURLToPath(new URL("..", import.meta.url));
// The bundle is not in the package's exports map: find it beside the package's entry point.
const packageEntry = createRequire(import.meta.url).resolve("@scalar/api-reference");
const bundle = join(dirname(packageEntry), "browser", "standalone.js");
// The path inside the assets directory is the URL path: GET /v1/docs/assets/scalar-api-reference.js.
const target = join(projectRoot, "public", "v1", "docs", "assets", "scalar-api-reference.js");

mkdirSync(dirname(target), { recursive: true });
copyFileSync(bundle, target);
