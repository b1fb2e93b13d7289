import { useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { timeText } from "../refresh.ts";

type AuditKind = Schemas["AuditRecord"]["kind"];

interface AuditFilter {
  keyId: string;
  route: string;
  outcome: string;
  kind: AuditKind | "";
  /** datetime-local values (the browser's local time); empty for no bound. */
  since: string;
  until: string;
}

const pageSize = 50;

/** A datetime-local value for `at`, in the browser's time zone. */
function localInput(at: Date): string {
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The last day by default: the trail is listed oldest first, and 90 days of it would open on last quarter. */
function firstFilter(): AuditFilter {
  return { keyId: "", route: "", outcome: "", kind: "", since: localInput(new Date(Date.now() - 24 * 3_600_000)), until: "" };
}

/**
 * The tenant's audit trail (admins): who (key, role) did what (method,
 * route, object, outcome), when, with the request and trace ids; filtered as
 * the API filters, a page at a time by cursor. A trace id the caller sent
 * (not the request id standing in for one) links to the trace screen.
 */
export function AuditLog() {
  const pages = useCursorPages();
  const [form, setForm] = useState<AuditFilter>(firstFilter);
  const [filter, setFilter] = useState<AuditFilter>(form);
  const { cursor } = pages;

  const { data: page, error } = useApiData(async () => {
    const query = {
      keyId: filter.keyId.trim() || undefined,
      route: filter.route.trim() || undefined,
      outcome: filter.outcome.trim() || undefined,
      kind: filter.kind || undefined,
      since: filter.since ? new Date(filter.since).toISOString() : undefined,
      until: filter.until ? new Date(filter.until).toISOString() : undefined,
      cursor,
      limit: pageSize,
    };
    return ok(await api.GET("/v1/audit", { params: { query } }));
  }, [filter, cursor]);

  function apply(event: Event) {
    event.preventDefault();
    setFilter({ ...form });
    pages.reset();
  }

  const field = (name: "keyId" | "route" | "outcome", label: string, placeholder: string) => (
    <label>
      {label}
      <input value={form[name]} placeholder={placeholder} maxLength={200} onInput={(event) => setForm({ ...form, [name]: event.currentTarget.value })} />
    </label>
  );

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters audit-filters" aria-label="Filter the audit log" onSubmit={apply}>
        {field("keyId", "Key", "key id")}
        {field("route", "Route", "/v1/keys/:id")}
        {field("outcome", "Outcome", "ok or a problem code")}
        <label>
          Kind
          <select value={form.kind} onChange={(event) => setForm({ ...form, kind: event.currentTarget.value as AuditKind | "" })}>
            <option value="">Any kind</option>
            <option value="write">write</option>
            <option value="sign_in">sign_in</option>
          </select>
        </label>
        <label>
          Since
          <input type="datetime-local" value={form.since} onInput={(event) => setForm({ ...form, since: event.currentTarget.value })} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={form.until} onInput={(event) => setForm({ ...form, until: event.currentTarget.value })} />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page && page.records.length === 0 ? <p>No records match.</p> : null}
      {page && page.records.length > 0 ? (
        <table class="audit">
          <caption>Audit records, oldest first{pageSuffix(pages)}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Key (role)</th>
              <th scope="col">Request</th>
              <th scope="col">Object</th>
              <th scope="col">Outcome</th>
              <th scope="col">Request id</th>
              <th scope="col">Trace id</th>
            </tr>
          </thead>
          <tbody>
            {page.records.map((record) => (
              <tr key={record.seq} data-seq={record.seq}>
                <td>{timeText(record.at)}</td>
                <td>{record.keyId ?? "webhook or unknown key"}{record.role ? ` (${record.role})` : ""}</td>
                <td>
                  {record.method} {record.route}
                  {record.kind === "sign_in" ? <div class="hint">sign-in</div> : null}
                </td>
                <td>{record.objectId ?? "—"}</td>
                <td><span class={`badge ${record.outcome === "ok" ? "outcome-ok" : "outcome-refused"}`}>{record.status} {record.outcome}</span></td>
                <td class="id">{record.requestId}</td>
                <td class="id">
                  {record.traceId !== record.requestId ? <Link href={`/traces/${encodeURIComponent(record.traceId)}`}>{record.traceId}</Link> : <span class="hint">none sent</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pages={pages} nextCursor={page?.nextCursor} label="audit records" />
    </section>
  );
}
