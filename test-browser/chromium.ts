import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's chromium: the browser tests drive it through playwright-core, which never downloads a browser of its own. */
export const chromiumPath = "/usr/bin/chromium";

/**
 * Vitest global setup of the browser tests: installs Debian's `chromium`
 * package when it is missing (a fresh CI machine), as root, with apt-get.
 * Elsewhere it says what to run instead of failing obscurely.
 */
export default function installChromium(): void {
  if (existsSync(chromiumPath)) return;
  const command = "apt-get update && apt-get install -y --no-install-recommends chromium";
  if (process.getuid?.() !== 0) throw new Error(`The browser tests need Debian's chromium at ${chromiumPath}: run \`sudo sh -c '${command}'\``);
  process.stdout.write(`[browser tests] ${chromiumPath} is missing: ${command}\n`);
  execFileSync("sh", ["-c", command], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (!existsSync(chromiumPath)) throw new Error(`apt-get installed chromium, but ${chromiumPath} is not there`);
}
