import { expect, it } from "vitest";
import { runAgentSoak } from "../bench/soak-agent-run.ts";
import { testSeed } from "./harness.ts";

it("applies every acknowledged sale, return and void exactly once at the edge across 10 SIGKILLs of the agent and a link that cuts, hangs and drops answers", async () => {
  const { figures, problems } = await runAgentSoak({ kills: 10, seed: testSeed("soak"), terminals: 3, killDelayMs: { min: 50, max: 500 }, edgeTimeoutSeconds: 1 });
  process.stdout.write(`[soak] ${figures.kills} kills, ${figures.acknowledged} acknowledged ${JSON.stringify(figures.byKind)}, ${figures.settledAsDuplicate} settled as duplicate, ${(figures.durationMs / 1000).toFixed(1)} s\n`);
  expect(problems).toEqual([]);
  expect(figures.kills).toBe(10);
  expect(figures.byKind.sale).toBeGreaterThan(0);
}, 120_000);
