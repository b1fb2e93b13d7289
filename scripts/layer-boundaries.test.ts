import { fileURLToPath } from "node:url";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { describe, expect, it } from "vitest";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const fixtureRoot = fileURLToPath(new URL("../fixtures/layers/", import.meta.url));
const layers = ["shared", "durable", "workers", "store-agent"];

/** Cruises `roots` under `baseDir` with the rules `npm run check:layers` uses. */
async function cruiseWithProjectRules(baseDir: string, roots: string[]): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(`${projectRoot}.dependency-cruiser.mjs`);
  const { output } = await cruise(roots, { ...options, baseDir });
  if (typeof output === "string") throw new Error(`dependency-cruiser answered text: ${output}`);
  return output;
}

const violations = (result: ICruiseResult) => result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();

describe("layer boundaries", () => {
  it("reports every forbidden import of the fixture tree, type-only ones included, and nothing else", async () => {
    const result = await cruiseWithProjectRules(fixtureRoot, [...layers, "test", "scripts"]);
    expect(violations(result)).toEqual([
      "durable-not-to-workers: durable/imports-store-agent.ts → store-agent/main.ts",
      "durable-not-to-workers: durable/imports-workers.ts → workers/app.ts",
      "production-imports-resolve: workers/imports-unresolvable.ts → ./moved-away.ts",
      "production-not-to-tests-or-tooling: store-agent/imports-scripts.ts → scripts/seed.ts",
      "production-not-to-tests-or-tooling: workers/imports-test-file.ts → workers/app.test.ts",
      "production-not-to-tests-or-tooling: workers/imports-test-helper.ts → test/helper.ts",
      "shared-imports-no-layer: shared/imports-durable.ts → durable/counter.ts",
      "shared-imports-no-layer: shared/imports-workers-type.ts → workers/app.ts",
      "store-agent-imports-only-shared: store-agent/imports-durable-type.ts → durable/counter.ts",
      "store-agent-imports-only-shared: store-agent/imports-scripts.ts → scripts/seed.ts",
      "store-agent-imports-only-shared: store-agent/imports-workers.ts → workers/app.ts",
      "workers-not-to-store-agent: workers/imports-store-agent.ts → store-agent/main.ts",
    ]);
  });

  it("finds none in the project, having resolved its .ts imports", async () => {
    const result = await cruiseWithProjectRules(projectRoot, layers);
    expect(violations(result)).toEqual([]);
    // Guards against a vacuous pass: the edges between layers must be seen to be checked.
    const edges = new Set(result.modules.flatMap((m) => m.dependencies.map((d) => `${m.source.split("/")[0]} → ${d.resolved.split("/")[0]}`)));
    for (const edge of ["workers → durable", "workers → shared", "durable → shared", "store-agent → shared"]) expect(edges.has(edge), edge).toBe(true);
  });
});
