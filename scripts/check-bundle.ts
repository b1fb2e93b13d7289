import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/**
 * `npm run check:bundle` (part of `npm test`): bundles the Worker exactly as
 * `wrangler deploy` would, offline (`--dry-run`), and fails if the compressed
 * script is over the Workers Free plan's limit, so a dependency that would make
 * the edge undeployable is caught the day it lands.
 *
 * The script is every module wrangler writes to --outdir (index.js and the
 * migrations' .sql text modules), gzip-compressed together as wrangler's own
 * "Total Upload" figure is; source maps are not uploaded. Static assets
 * ([assets] in wrangler.toml) are uploaded apart, do not count and are not
 * written there.
 */

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));

/** Workers Free: 3 MB after compression (Paid: 10 MB). Decimal megabytes, the stricter reading. */
const limitBytes = 3_000_000;

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Bytes each npm package (or top folder of our own code) puts into the bundle, largest first. */
function contributors(metafile: string): [string, number][] {
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }> };
  const bytes = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? `${path.split("/")[0]}/`;
      bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

const workDir = mkdtempSync(join(tmpdir(), "shelfsync-bundle-"));
try {
  const outDir = join(workDir, "out");
  const metafile = join(workDir, "meta.json");
  // Run by this Node (24), not whichever `node` is first on PATH: wrangler needs 22.12 or later.
  const build = spawnSync(process.execPath, [wranglerBin, "deploy", "--dry-run", "--outdir", outDir, "--metafile", metafile], {
    cwd: projectRoot,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" },
  });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}${build.stderr}`);
    throw new Error(`wrangler deploy --dry-run could not bundle the Worker (exit ${build.status ?? build.signal}): it would not deploy either`);
  }

  const modules = readdirSync(outDir).filter((name) => !name.endsWith(".map") && name !== "README.md");
  const main = modules.find((name) => name === "index.js");
  if (!main) throw new Error(`wrangler wrote no index.js to ${outDir}: found ${modules.join(", ")}`);
  // wrangler's order: the additional modules, then the main one.
  const contents = [...modules.filter((name) => name !== main).sort(), main].map((name) => readFileSync(join(outDir, name)));
  const raw = contents.reduce((sum, content) => sum + content.byteLength, 0);
  const gzip = gzipSync(Buffer.concat(contents)).byteLength;
  const share = ((gzip / limitBytes) * 100).toFixed(1);
  const largest = contributors(metafile).slice(0, 5).map(([name, bytes]) => `${name} ${kib(bytes)}`).join(", ");

  console.log(`Worker script: ${modules.length} modules, ${kib(raw)} raw, ${kib(gzip)} gzip = ${share} % of the ${limitBytes / 1_000_000} MB free-plan limit`);
  console.log(`Largest before compression: ${largest}`);
  if (gzip > limitBytes) {
    throw new Error(
      `The Worker's script is ${kib(gzip)} after gzip, over the Workers Free plan's limit of ${limitBytes} bytes: wrangler deploy would be refused. ` +
        "The list above shows what the script is made of: drop the dependency that grew, or move that work out of the Worker.",
    );
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
