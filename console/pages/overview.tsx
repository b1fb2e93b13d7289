import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { ageText, timeText } from "../refresh.ts";
import { ThroughputSection } from "../throughput.tsx";
import { mayRead, useConsole } from "../state.ts";
import { ConnectionsTable, loadConnections } from "./overview-connections.tsx";

type Store = Schemas["StoreHealth"];
type ExceptionType = Schemas["Exception"]["type"];

/** Open exceptions are counted from at most this many pages of 500: beyond that the overview says "at least". */
const maxExceptionPages = 20;
const statusOrder: Record<Store["status"], number> = { offline: 0, unknown: 1, online: 2 };

interface OpenExceptions {
  byType: [ExceptionType, number][];
  total: number;
  complete: boolean;
}

/** Every open exception, a page of 500 at a time by cursor, counted by type. */
async function countOpenExceptions(): Promise<OpenExceptions> {
  const counts = new Map<ExceptionType, number>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = ok(await api.GET("/v1/exceptions", { params: { query: { state: "open", limit: 500, cursor } } }));
    for (const exception of page.exceptions) counts.set(exception.type, (counts.get(exception.type) ?? 0) + 1);
    cursor = page.exceptions.length > 0 && page.nextCursor ? page.nextCursor : undefined;
    pages++;
  } while (cursor && pages < maxExceptionPages);
  const byType = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { byType, total: byType.reduce((sum, [, count]) => sum + count, 0), complete: cursor === undefined };
}

/**
 * The tenant's home: every store with its health (offline first), every
 * connection with its status (failing first), and the open exceptions by
 * type; read again every 5 s while the page is visible.
 */
export function Overview() {
  const withErp = mayRead(useConsole(), ["admin"]);
  const { data, error, refresh, refreshedAt } = useApiData(
    async () => {
      const [stores, exceptions, connections] = await Promise.all([api.GET("/v1/stores").then(ok), countOpenExceptions(), loadConnections(withErp)]);
      return { stores, exceptions, connections };
    },
    [withErp],
    { periodic: true },
  );
  const { stores, exceptions, connections } = data ?? { stores: null, exceptions: null, connections: null };

  const sorted = stores ? [...stores.stores].sort((a, b) => statusOrder[a.status] - statusOrder[b.status] || a.location.localeCompare(b.location)) : [];
  const count = (status: Store["status"]) => sorted.filter((store) => store.status === status).length;

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="refresh">
        <button type="button" onClick={refresh}>Refresh</button>
        <span class="hint">{refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}, every 5 s while this page is open` : "Loading…"}</span>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}

      <h2 id="stores-title">Stores</h2>
      {stores ? (
        <p data-testid="store-counts">
          {count("online")} online · {count("offline")} offline · {count("unknown")} never reported · offline after {stores.offlineAfterSeconds} s of silence
        </p>
      ) : null}
      {stores && sorted.length === 0 ? <p>No store locations yet.</p> : null}
      {sorted.length > 0 ? (
        <table aria-labelledby="stores-title">
          <thead>
            <tr>
              <th scope="col">Store</th>
              <th scope="col">Status</th>
              <th scope="col">Backlog</th>
              <th scope="col">Oldest pending</th>
              <th scope="col">Dead letters</th>
              <th scope="col">Last report</th>
              <th scope="col">Last push</th>
              <th scope="col">Last pull</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((store) => (
              <tr key={store.location} data-location={store.location}>
                <th scope="row"><Link href={`/stores/${encodeURIComponent(store.location)}`}>{store.location}</Link></th>
                <td><span class={`badge store-${store.status}`} data-testid="store-status">{store.status}</span></td>
                <td>{store.backlog ?? "—"}</td>
                <td>{ageText(store.oldestPendingAgeSeconds)}</td>
                <td>{store.deadLetters ?? "—"}</td>
                <td>{timeText(store.lastReportAt)}</td>
                <td>{timeText(store.lastPushAt)}</td>
                <td>{timeText(store.lastPullAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h2 id="connections-title">Connections</h2>
      {connections ? <ConnectionsTable rows={connections} /> : null}

      <h2 id="exceptions-by-type-title">Open exceptions</h2>
      {exceptions && exceptions.total === 0 ? <p>No open exceptions.</p> : null}
      {exceptions && exceptions.total > 0 ? (
        <table aria-labelledby="exceptions-by-type-title" class="narrow">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Open</th>
            </tr>
          </thead>
          <tbody>
            {exceptions.byType.map(([type, open]) => (
              <tr key={type}>
                <th scope="row">{type}</th>
                <td>{open}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All types</th>
              <td>{exceptions.complete ? exceptions.total : `at least ${exceptions.total}`}</td>
            </tr>
          </tfoot>
        </table>
      ) : null}
      <p><Link href="/exceptions">All exceptions →</Link></p>

      <ThroughputSection />
    </section>
  );
}
