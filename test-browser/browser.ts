import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";
import { projectRoot } from "../scripts/local-edge.ts";
import { chromiumPath } from "./chromium.ts";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Where screenshots go: docs/console/ with SHELFSYNC_CONSOLE_SCREENSHOTS=1
 * (`npm run docs:console`), else a git-ignored folder, so that `npm test`
 * leaves the work tree as it found it.
 */
export const screenshotDir = process.env.SHELFSYNC_CONSOLE_SCREENSHOTS ? join(projectRoot, "docs", "console") : join(projectRoot, ".shelfsync", "console-screenshots");

/** Debian's chromium, headless, with `hosts` resolved to this machine (a partner's host name reaches the local edge). */
export async function launchChromium(hosts: string[]): Promise<Browser> {
  const rules = hosts.map((host) => `MAP ${host} 127.0.0.1`).join(",");
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: rules ? [`--host-resolver-rules=${rules}`] : [] });
}

/**
 * Runs axe-core in the page and expects no serious or critical violation;
 * the others are returned for whoever wants to look.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  // Evaluated through the DevTools protocol: an injected <script> would be refused by the console's CSP, rightly.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // In the page: axe-core's own global (its types need the DOM library, which Node code does not load).
    const page = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> } };
    const result = await page.axe.run(page.document, { resultTypes: ["violations"] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => JSON.stringify(node.target)) }));
  });
  expect(violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical"), `axe on ${screen}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
