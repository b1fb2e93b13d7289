import { useState } from "preact/hooks";
import { api, ok } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { useConsole } from "../state.ts";

/** This month, UTC, as YYYY-MM (the API's months are UTC). */
function thisMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

/**
 * The partner's usage in a month, a row per tenant (what each figure counts:
 * docs/decisions/0034-partners.md), and the same rows as CSV: a plain link
 * to the API's `format=csv`, which the session cookie authorizes (a GET needs
 * no CSRF token) and the API names as an attachment.
 */
export function PartnerUsage() {
  const partner = useConsole().session!.partner!;
  const [month, setMonth] = useState(thisMonth);
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(month);

  const { data: report, error } = useApiData(
    async () => {
      // The route's 200 is JSON or CSV by format; format=json asked for the JSON form.
      const data = ok(await api.GET("/v1/partners/{partner}/usage", { params: { path: { partner }, query: { month, format: "json" } } }));
      if (typeof data === "string") throw new Error("The usage came as CSV, not JSON");
      return data;
    },
    [partner, month],
    { enabled: valid },
  );

  const csv = `/v1/partners/${encodeURIComponent(partner)}/usage?${new URLSearchParams({ month, format: "csv" })}`;
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <form class="filters" aria-label="Choose the month" onSubmit={(event) => event.preventDefault()}>
        <label>
          Month (UTC)
          <input type="month" value={month} required onInput={(event) => setMonth(event.currentTarget.value)} />
        </label>
      </form>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {valid ? (
        <p>
          <a href={csv} download={`usage-${partner}-${month}.csv`}>Download CSV of {month}</a>
        </p>
      ) : null}
      {report && report.tenants.length === 0 ? <p>No tenants yet.</p> : null}
      {report && report.tenants.length > 0 ? (
        <table>
          <caption>Usage of partner {report.partner}'s tenants in {report.month}</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">POS transactions</th>
              <th scope="col">Orders</th>
              <th scope="col">API calls</th>
              <th scope="col">Connector writes</th>
              <th scope="col">Stores</th>
              <th scope="col">SKUs</th>
            </tr>
          </thead>
          <tbody>
            {report.tenants.map((tenant) => (
              <tr key={tenant.tenant} data-tenant={tenant.tenant}>
                <th scope="row">{tenant.tenant}</th>
                <td>{tenant.posTransactions}</td>
                <td>{tenant.orders}</td>
                <td>{tenant.apiCalls}</td>
                <td>{tenant.connectorWrites}</td>
                <td>{tenant.stores}</td>
                <td>{tenant.skus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
