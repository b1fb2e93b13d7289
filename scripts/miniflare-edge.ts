import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { projectRoot, type LocalEdge, type LocalEdgeOptions } from "./local-edge.ts";

// The miniflare (and so the workerd) that wrangler itself depends on, not the top-level copy: the
// top-level one is an older beta, and a benchmark should measure the runtime `wrangler dev` runs.
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const miniflare: typeof import("../node_modules/wrangler/node_modules/miniflare/dist/src/index.js") = requireFromWrangler("miniflare");
const wrangler: typeof import("wrangler") = requireFromWrangler("wrangler");
const esbuild: typeof import("esbuild") = requireFromWrangler("esbuild");

const staticAssetsWorker = "static-assets";

const logLevels = { none: "NONE", error: "ERROR", warn: "WARN", info: "INFO", log: "INFO", debug: "DEBUG" } as const;

/**
 * Runs the Worker and its Durable Objects in wrangler's Miniflare, in this process, without the
 * `wrangler dev` proxy or the static-assets router in front (they cost throughput). Resolves once
 * workerd listens.
 *
 * @example
 * const edge = await startMiniflareEdge({ port: 8787, persistTo: ".wrangler/state", platformKey });
 */
export async function startMiniflareEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const silent = options.output !== "inherit";
  // wrangler reads the config (bindings, SQLite migrations, .dev.vars) as `wrangler dev` would.
  const { config, worker } = withWranglerLog(silent ? "none" : (options.logLevel ?? "info"), () => {
    const config = wrangler.unstable_readConfig({ config: options.config ?? join(projectRoot, "wrangler.toml") });
    return { config, worker: wrangler.unstable_getMiniflareWorkerOptions(config) };
  });
  // modulesRules is dropped because Miniflare gets one pre-bundled module (v5 refuses to convert it).
  const { workerOptions: { modulesRules: _rules, assets: configAssets, ...workerOptions }, main, define } = worker;
  // wrangler's published types leave the assets options untyped: the fields read here.
  const assets = configAssets as { directory: string; binding?: string; assetConfig?: object } | undefined;
  const bundle = await esbuild.build({
    entryPoints: [main!],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    // nodejs_compat: workerd provides node:* itself, as with wrangler's bundling.
    external: ["cloudflare:*", "node:*"],
    // The configs' `Text` rule for drizzle's migration .sql files, inlined instead of a side module.
    loader: { ".sql": "text" },
    define,
    target: "es2022",
  });
  const script = bundle.outputFiles[0]!.text;
  const mf = new miniflare.Miniflare(miniflare.convertV4MiniflareOptions({
    workers: [
      {
        ...workerOptions,
        name: config.name, // names the Durable Object folders as `wrangler dev` does
        // Same precedence as `wrangler dev --var`: later vars win over the config's and .dev.vars.
        // (wrangler's published types leave `bindings` unknown, hence the cast.)
        bindings: { ...(workerOptions.bindings as object), ...(options.platformKey ? { PLATFORM_ADMIN_KEY: options.platformKey } : {}), ...options.vars },
        modules: true,
        script,
        scriptPath: main!.replace(/\.ts$/, ".js"),
        ...(assets?.binding ? { serviceBindings: { ...(workerOptions.serviceBindings as object), [assets.binding]: staticAssetsWorker } } : {}),
      },
      // The static assets in a Worker of their own, reached through the binding only. Configured on the
      // edge Worker, they would put Miniflare's asset router in front of every request, which cost
      // more than half of GET /health's throughput here (3,100 → 1,300 req/s) and about a fifth of
      // the reservations': a cost of local hosting, not of the Worker. The Worker still answers every
      // /v1 URL itself (run_worker_first) and hands /v1/docs/assets/* to the binding, as deployed.
      ...(assets ? [{ name: staticAssetsWorker, modules: true, script: "export default {};", assets: { directory: assets.directory, assetConfig: assets.assetConfig, routerConfig: { has_user_worker: false } } }] : []),
    ],
    host: "127.0.0.1",
    port: options.port,
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    cf: false, // offline: don't fetch request.cf from Cloudflare
    // wrangler's layout (<persistTo>/v3/do/...), so `wrangler dev --persist-to` can reopen the state.
    resourcePersistencePath: join(resolve(options.persistTo), "v3"),
    log: new miniflare.Log(miniflare.LogLevel[silent ? "NONE" : logLevels[options.logLevel ?? "info"]]),
    // The Worker's console output; dropped like wrangler's when the caller discards output.
    ...(silent ? { handleStructuredLogs: () => undefined } : {}),
  }));
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  return { url: `http://127.0.0.1:${options.port}`, script, stop: () => mf.dispose() };
}

// wrangler's logger takes its level only from WRANGLER_LOG; set it while wrangler reads the config,
// or it prints "Using secrets defined in .dev.vars" into the benchmark's output.
function withWranglerLog<T>(level: string, read: () => T): T {
  const saved = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = level;
  try {
    return read();
  } finally {
    if (saved === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = saved;
  }
}
