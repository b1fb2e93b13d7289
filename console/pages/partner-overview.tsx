import { useEffect } from "preact/hooks";
import { useLocation } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { ageText } from "../refresh.ts";
import { useConsole } from "../state.ts";
import { HealthBadge, lagText, type Health } from "../health-badge.tsx";

type TenantHealth = Schemas["TenantHealth"];

/** A backlog older than this, or a sync lag above it, is worth a look: the store or remote is behind by minutes. */
const behindSeconds = 5 * 60;

function storesBadge({ stores }: TenantHealth): { health: Health; text: string } {
  if (stores.total === 0) return { health: "quiet", text: "no stores" };
  const parts = [stores.offline > 0 ? `${stores.offline} offline` : null, stores.unknown > 0 ? `${stores.unknown} never reported` : null].filter(Boolean);
  if (parts.length === 0) return { health: "ok", text: `all ${stores.total} online` };
  return { health: stores.offline > 0 ? "bad" : "warn", text: `${parts.join(", ")} of ${stores.total}` };
}

function backlogBadge({ stores }: TenantHealth): { health: Health; text: string } {
  if (stores.oldestPendingAgeSeconds === null) return { health: stores.total === 0 ? "quiet" : "ok", text: "none waiting" };
  return { health: stores.oldestPendingAgeSeconds > behindSeconds ? "bad" : "warn", text: `${ageText(stores.oldestPendingAgeSeconds)} · ${stores.backlog} waiting` };
}

function connectionsBadge({ connections }: TenantHealth): { health: Health; text: string } {
  if (connections.total === 0) return { health: "quiet", text: "no connections" };
  const lagSeconds = Math.max((connections.maxSyncLagMs ?? 0) / 1000, connections.oldestPendingAgeSeconds ?? 0);
  const lag = `lag ${lagText(connections.maxSyncLagMs, connections.oldestPendingAgeSeconds)}`;
  if (connections.failing > 0) return { health: "bad", text: `${connections.failing} of ${connections.total} failing · ${lag}` };
  return { health: lagSeconds > behindSeconds || connections.throttled > 0 ? "warn" : "ok", text: `${connections.total} · ${lag}${connections.throttled > 0 ? ` · ${connections.throttled} throttled` : ""}` };
}

function exceptionsBadge({ exceptions }: TenantHealth): { health: Health; text: string } {
  return exceptions.open === 0 ? { health: "ok", text: "none open" } : { health: "warn", text: `${exceptions.open} open` };
}

/**
 * The partner's home: each of its tenants with its health (stores offline or
 * never reported, the oldest backlog, connections failing and their lag,
 * open exceptions), a page at a time, read again every 5 s while the page is
 * visible. A tenant the edge could not read is a row that says so; the others
 * keep their figures. "Open" makes every later call act on the tenant (X-Shelfsync-Tenant).
 */
export function PartnerOverview() {
  const state = useConsole();
  const [, navigate] = useLocation();
  const partner = state.session!.partner!;
  const pages = useCursorPages();

  // This is the screen of no tenant: however it is reached (the nav, the banner's button, the browser's Back),
  // it stops acting on the tenant, so the banner, the nav and every call agree with what it shows. On mount
  // only: "Open" chooses a tenant while this screen is still mounted, and must not be undone.
  useEffect(() => {
    if (state.tenant !== null) state.chooseTenant(null);
  }, []);

  const { data: page, error, refresh, refreshedAt } = useApiData(
    async () => ok(await api.GET("/v1/partners/{partner}/tenants/health", { params: { path: { partner }, query: { cursor: pages.cursor } } })),
    [partner, pages.cursor],
    { periodic: true },
  );

  function open(id: string) {
    state.chooseTenant(id);
    navigate("/overview");
  }

  return (
    <section aria-labelledby="partner-overview-title">
      <h1 id="partner-overview-title">Partner overview</h1>
      <div class="refresh">
        <button type="button" onClick={refresh}>Refresh</button>
        <span class="hint">{refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}, every 5 s while this page is open` : "Loading…"}</span>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page?.tenants.length === 0 && pages.number === 1 ? <p>No tenants yet.</p> : null}
      {page && page.tenants.length > 0 ? (
        <table>
          <caption>Tenants of partner {partner} and their health{pageSuffix(pages)}</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Stores</th>
              <th scope="col">Oldest backlog</th>
              <th scope="col">Connections</th>
              <th scope="col">Open exceptions</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.tenants.map((tenant) => (
              <tr key={tenant.tenant} data-tenant={tenant.tenant}>
                <th scope="row">
                  {tenant.name}
                  <div class="hint">{tenant.tenant}</div>
                </th>
                {tenant.status === "unavailable" ? (
                  <td colSpan={4}>
                    <HealthBadge testId="unavailable-badge" health="bad" text="could not be read" />
                    <div class="hint">
                      {tenant.unavailable.detail} ({tenant.unavailable.code})
                    </div>
                  </td>
                ) : (
                  <>
                    <td><HealthBadge testId="stores-badge" {...storesBadge(tenant)} /></td>
                    <td><HealthBadge testId="backlog-badge" {...backlogBadge(tenant)} /></td>
                    <td><HealthBadge testId="connections-badge" {...connectionsBadge(tenant)} /></td>
                    <td>
                      <HealthBadge testId="exceptions-badge" {...exceptionsBadge(tenant)} />
                      {tenant.exceptions.byType.length > 0 ? <div class="hint">{tenant.exceptions.byType.map((entry) => `${entry.type} ${entry.open}`).join(", ")}</div> : null}
                    </td>
                  </>
                )}
                <td>
                  <button type="button" onClick={() => open(tenant.tenant)} aria-label={`Open tenant ${tenant.tenant}`}>
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {page && (pages.number > 1 || page.nextCursor) ? <Pager pages={pages} nextCursor={page.nextCursor} /> : null}
    </section>
  );
}
