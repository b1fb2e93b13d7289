/**
 * Layer boundaries, checked by `npm run check:layers` (part of `npm test`).
 *
 *   shared ← durable ← workers        (the edge)
 *   shared ← store-agent              (the store's Node process)
 *   shared ← console                  (the browser console: the API's generated types only)
 *
 * Production code is shared/, durable/, workers/ and store-agent/, less its
 * tests (`*.test.ts`, `store-agent/testing/`). Tests, bench/, scripts/ and
 * drizzle/ may import anything; production never imports them. Type-only
 * imports count: a type pulled from a higher layer couples the two as surely
 * as a value does. See docs/decisions/0012-layer-boundaries-and-deployable-bundle.md.
 *
 * Paths are relative to the directory the cruise starts from (`baseDir`), so
 * scripts/layer-boundaries.test.ts runs these same rules on fixtures/layers/.
 */

const testCode = ["\\.test\\.ts$", "^store-agent/testing/"];
const production = "^(shared|durable|workers|store-agent|console)/";
/** npm packages and Node builtins: what a layer may import besides its own folders. */
const packages = ["core", "npm", "npm-dev", "npm-optional", "npm-peer", "npm-bundled", "npm-no-pkg", "npm-unknown"];

/** @type {import("dependency-cruiser").IConfiguration} */
export default {
  forbidden: [
    {
      name: "shared-imports-no-layer",
      comment: "shared/ is the base both runtimes build on: it imports only shared/ and packages, never durable/, workers/, store-agent/, tests or tooling.",
      severity: "error",
      from: { path: "^shared/", pathNot: testCode },
      to: { pathNot: "^shared/", dependencyTypesNot: packages },
    },
    {
      name: "store-agent-imports-only-shared",
      comment: "The store agent runs in the store, apart from the edge: it imports shared/ and packages, never durable/ or workers/.",
      severity: "error",
      from: { path: "^store-agent/", pathNot: testCode },
      to: { pathNot: "^(shared|store-agent)/", dependencyTypesNot: packages },
    },
    {
      name: "console-imports-only-shared",
      comment: "The console runs in the browser and speaks to the edge only through the public API: it imports shared/ (the API's generated types) and packages, never durable/, workers/ or store-agent/.",
      severity: "error",
      from: { path: "^console/", pathNot: testCode },
      to: { pathNot: "^(shared|console)/", dependencyTypesNot: packages },
    },
    {
      name: "durable-not-to-workers",
      comment: "Durable Objects sit below the Worker: move what both need to shared/.",
      severity: "error",
      from: { path: "^durable/", pathNot: testCode },
      to: { path: "^(workers|store-agent)/" },
    },
    {
      name: "workers-not-to-store-agent",
      comment: "The edge never imports the store agent: what both need lives in shared/.",
      severity: "error",
      from: { path: "^workers/", pathNot: testCode },
      to: { path: "^store-agent/" },
    },
    {
      name: "production-not-to-tests-or-tooling",
      comment: "Production code never imports tests, test helpers, benchmarks, scripts or fixtures.",
      severity: "error",
      from: { path: production, pathNot: testCode },
      to: { path: ["^(test|test-e2e|test-browser|bench|scripts|fixtures|drizzle)/", ...testCode] },
    },
    {
      name: "production-imports-resolve",
      comment:
        "An import dependency-cruiser cannot resolve is an edge the rules above cannot see. workerd's own modules (cloudflare:…) are the one exception.",
      severity: "error",
      from: { path: production, pathNot: testCode },
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports are dependencies too (see above); TypeScript would erase them.
    tsPreCompilationDeps: true,
    moduleSystems: ["es6", "cjs"],
    // Imports name the file with its .ts extension ("allowImportingTsExtensions"), so they resolve as written.
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "workerd", "default"], extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
  },
};
