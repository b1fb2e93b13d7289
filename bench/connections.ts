import { amazonRemote, amazonTitle } from "./connections-amazon.ts";
import { out, skuCount, count, stockedEdge } from "./connections-common.ts";
import { benchFeedRemote, type FeedRemote } from "./connections-feeds.ts";
import { benchShopify, shopifyTitle } from "./connections-shopify.ts";
import { walmartRemote, walmartTitle } from "./connections-walmart.ts";
import { hostLabel, machineLine } from "./harness.ts";

/**
 * Stock out to each remote in turn (`BENCH_REMOTE=shopify|walmart|amazon`
 * for one): a fresh edge with N stocked SKUs per remote, a connection to the
 * remote's test server, and each phase timed against the floor the remote's
 * published budget allows. See docs/benchmarks.md for the method.
 */
const remotes = {
  shopify: { title: shopifyTitle, run: benchShopify },
  walmart: { title: walmartTitle, run: feedBench(walmartRemote) },
  amazon: { title: amazonTitle, run: feedBench(amazonRemote) },
};
type RemoteName = keyof typeof remotes;

function feedBench(start: (skus: string[]) => Promise<FeedRemote>) {
  return async (edge: Awaited<ReturnType<typeof stockedEdge>>) => {
    const remote = await start(edge.skus);
    try {
      return await benchFeedRemote(edge, remote);
    } finally {
      await remote.close();
    }
  };
}

const chosen = process.env.BENCH_REMOTE;
if (chosen !== undefined && !(chosen in remotes)) throw new Error(`BENCH_REMOTE must be one of ${Object.keys(remotes).join(", ")}, not ${JSON.stringify(chosen)}`);
const names = chosen === undefined ? (Object.keys(remotes) as RemoteName[]) : [chosen as RemoteName];
let ok = true;
for (const name of names) {
  const remote = remotes[name];
  out(`${remote.title}; ${count(skuCount)} SKUs, edge by ${hostLabel}`);
  out(`Machine: ${machineLine()}`);
  out();
  const edge = await stockedEdge();
  try {
    ok = (await remote.run(edge)) && ok;
  } finally {
    await edge.bench.close();
  }
  out();
}
if (!ok) process.exitCode = 1;
