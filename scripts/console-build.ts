import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { projectRoot } from "./local-edge.ts";

/**
 * Builds the browser console from console/ (Preact, wouter-preact and
 * openapi-fetch, bundled and minified by esbuild) into the Worker's static
 * assets: public/console/index.html and public/console/assets/console.{js,css}
 * (git-ignored). Run by `npm install` (postinstall), `npm start` and
 * `npm run check:console`; about a tenth of a second. See docs/decisions/0035-console.md.
 *
 * @example
 * node scripts/console-build.ts          # build
 * node scripts/console-build.ts --check  # build, then fail if the first load is over its budget
 */

/** The console's first load, gzip-compressed, must stay within this (issue 13). */
export const firstLoadBudgetBytes = 300 * 1024;

const source = join(projectRoot, "console");
const target = join(projectRoot, "public", "console");

export interface ConsoleBuild {
  /** Each file of the first load (index.html, script, stylesheet) with its raw and gzip sizes. */
  files: { path: string; bytes: number; gzipBytes: number }[];
  gzipBytes: number;
}

export async function buildConsole(): Promise<ConsoleBuild> {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, "assets"), { recursive: true });
  await esbuild.build({
    entryPoints: { console: join(source, "main.tsx") },
    outdir: join(target, "assets"),
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    loader: { ".css": "css" },
    legalComments: "none",
    logLevel: "error",
  });
  writeFileSync(join(target, "index.html"), readFileSync(join(source, "index.html")));
  const files = ["index.html", "assets/console.js", "assets/console.css"].map((path) => {
    const bytes = readFileSync(join(target, path));
    return { path: `/console/${path}`, bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength };
  });
  return { files, gzipBytes: files.reduce((sum, file) => sum + file.gzipBytes, 0) };
}

if (import.meta.main) {
  const built = await buildConsole();
  if (process.argv.includes("--check")) {
    for (const file of built.files) process.stdout.write(`${file.path}  ${file.bytes} B, ${file.gzipBytes} B gzip\n`);
    process.stdout.write(`console first load: ${(built.gzipBytes / 1024).toFixed(1)} KiB gzip (budget ${firstLoadBudgetBytes / 1024} KiB)\n`);
    if (built.gzipBytes > firstLoadBudgetBytes) {
      process.stderr.write("The console's first load is over its budget: see docs/decisions/0035-console.md\n");
      process.exit(1);
    }
  }
}
