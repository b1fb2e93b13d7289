import { api, ok, type Schemas } from "../api.ts";
import { HealthBadge, lagText, type Health } from "../health-badge.tsx";
import { ageText, timeText } from "../refresh.ts";

type State = Schemas["ConnectionStatus"]["state"];

/** One row of the overview's connections: a channel connection or an ERP one, as a person compares them. */
export interface ConnectionRow {
  id: string;
  kind: "channel" | "ERP";
  type: string;
  channel: string | null;
  state: State;
  lag: string;
  waiting: string;
  budget: string;
  lastError: { at: string; message: string } | null;
}

const stateHealth: Record<State, Health> = { syncing: "ok", idle: "ok", throttled: "warn", failing: "bad", credentials_rejected: "bad", disabled: "quiet" };

/** "40 % used": the share of a budget gone, when the remote tells both sides of it. */
function share(limit: number | null, remaining: number | null): string | null {
  return limit && remaining !== null ? `${Math.round((1 - remaining / limit) * 100)} % used` : null;
}

function channelRow(connection: Schemas["ConnectionList"]["connections"][number]): ConnectionRow | null {
  const status = connection.status;
  if (!status) return null;
  const used = share(status.budget.limit, status.budget.remaining);
  return {
    id: connection.id,
    kind: "channel",
    type: connection.type,
    channel: connection.channel,
    state: status.state,
    lag: status.syncLagMs.samples > 0 ? `p50 ${lagText(status.syncLagMs.p50, null)} · p99 ${lagText(status.syncLagMs.p99, null)}` : "no samples in the last hour",
    waiting: status.pending.skus > 0 ? `${status.pending.skus} SKU${status.pending.skus === 1 ? "" : "s"}, oldest ${ageText(status.pending.oldestAgeSeconds)}` : "none",
    budget: [used, `${status.budget.usedLastMinute} in the last minute`].filter(Boolean).join(" · "),
    lastError: status.lastError,
  };
}

function erpRow(connection: Schemas["ErpConnectionList"]["connections"][number]): ConnectionRow | null {
  const status = connection.status;
  if (!status) return null;
  const waiting = status.pending.journals + status.salesDocuments.pending;
  const oldest = Math.max(status.pending.oldestAgeSeconds ?? 0, status.salesDocuments.oldestAgeSeconds ?? 0);
  const used = share(status.budget.requestsPerFiveMinutes, status.budget.remaining);
  return {
    id: connection.id,
    kind: "ERP",
    type: connection.type,
    channel: null,
    state: status.state,
    lag: waiting > 0 ? `oldest waiting ${ageText(oldest)}` : "nothing waiting",
    waiting: waiting > 0 ? `${status.pending.journals} journals, ${status.salesDocuments.pending} sales documents` : "none",
    budget: used ?? (status.budget.concurrency !== null ? `${status.budget.concurrency} requests in flight at most` : `${status.lastHour.requests} requests in the last hour`),
    lastError: status.lastError,
  };
}

/** Every connection of the tenant with its status, in one call each for channel and (for admins, who alone may list them) ERP connections. */
export async function loadConnections(withErp: boolean): Promise<ConnectionRow[]> {
  const [channel, erp] = await Promise.all([
    api.GET("/v1/connections", { params: { query: { include: "status" } } }).then(ok),
    withErp ? api.GET("/v1/erp/connections", { params: { query: { include: "status" } } }).then(ok) : null,
  ]);
  return [...channel.connections.map(channelRow), ...(erp?.connections.map(erpRow) ?? [])].filter((row): row is ConnectionRow => row !== null);
}

/** The tenant's connections: type, channel, state, lag, what waits, budget use, last error; failing ones first. */
export function ConnectionsTable({ rows }: { rows: ConnectionRow[] }) {
  const order: Record<Health, number> = { bad: 0, warn: 1, ok: 2, quiet: 3 };
  const sorted = [...rows].sort((a, b) => order[stateHealth[a.state]] - order[stateHealth[b.state]] || a.id.localeCompare(b.id));
  if (sorted.length === 0) return <p>No connections yet.</p>;
  return (
    <table aria-labelledby="connections-title">
      <thead>
        <tr>
          <th scope="col">Connection</th>
          <th scope="col">Type</th>
          <th scope="col">Channel</th>
          <th scope="col">State</th>
          <th scope="col">Sync lag</th>
          <th scope="col">Waiting</th>
          <th scope="col">Budget use</th>
          <th scope="col">Last error</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((row) => (
          <tr key={`${row.kind}:${row.id}`} data-connection={row.id}>
            <th scope="row">{row.id}</th>
            <td>{row.kind === "ERP" ? `ERP: ${row.type}` : row.type}</td>
            <td>{row.channel ?? "—"}</td>
            <td><HealthBadge health={stateHealth[row.state]} text={row.state.replace("_", " ")} testId="connection-state" /></td>
            <td>{row.lag}</td>
            <td>{row.waiting}</td>
            <td>{row.budget}</td>
            <td class="message">{row.lastError ? `${timeText(row.lastError.at)}: ${row.lastError.message}` : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
