import { useEffect, useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, messageOf, ok, type Schemas } from "../api.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";

type ExceptionType = Schemas["Exception"]["type"];
type ExceptionState = Schemas["Exception"]["state"];

const types: ExceptionType[] = [
  "reservations_short", "unknown_sku", "tender_short", "webhook_unmapped", "backorder", "event_delivery_failed", "channel_sku_unmapped",
  "channel_order_unmapped", "channel_shipment_refused", "erp_journal_refused", "erp_sales_document_refused", "settlement_line_unmatched", "payout_unbalanced",
];
const states: ExceptionState[] = ["open", "retrying", "resolved", "ignored"];
const pageSize = 25;

/** The tenant's exceptions, oldest first, filtered by type and state, a page at a time (by cursor). */
export function Exceptions() {
  const [type, setType] = useState<ExceptionType | "">("");
  const [state, setState] = useState<ExceptionState | "">("open");
  const pages = useCursorPages();
  const [page, setPage] = useState<Schemas["ExceptionPage"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { cursor } = pages;

  useEffect(() => {
    setError(null);
    api
      .GET("/v1/exceptions", { params: { query: { type: type || undefined, state: state || undefined, cursor, limit: pageSize } } })
      .then((answer) => setPage(ok(answer)))
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, [type, state, cursor]);

  return (
    <section aria-labelledby="exceptions-title">
      <h1 id="exceptions-title">Exceptions</h1>
      <form class="filters" aria-label="Filter exceptions" onSubmit={(event) => event.preventDefault()}>
        <label>
          Type
          <select value={type} onChange={(event) => { setType(event.currentTarget.value as ExceptionType | ""); pages.reset(); }}>
            <option value="">Any type</option>
            {types.map((value) => <option key={value} value={value}>{value}</option>)}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(event) => { setState(event.currentTarget.value as ExceptionState | ""); pages.reset(); }}>
            <option value="">Any state</option>
            {states.map((value) => <option key={value} value={value}>{value}</option>)}
          </select>
        </label>
      </form>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page && page.exceptions.length === 0 ? <p>No exceptions match.</p> : null}
      {page && page.exceptions.length > 0 ? (
        <table>
          <caption>
            Exceptions, oldest first{pageSuffix(pages)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Exception</th>
              <th scope="col">Type</th>
              <th scope="col">Subject</th>
              <th scope="col">State</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {page.exceptions.map((exception) => (
              <tr key={exception.id}>
                <td><Link href={`/exceptions/${encodeURIComponent(exception.id)}`}>{exception.id}</Link></td>
                <td>{exception.type}</td>
                <td>{exception.subject}</td>
                <td><span class={`badge state-${exception.state}`}>{exception.state}</span></td>
                <td>{exception.updatedAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pages={pages} nextCursor={page?.nextCursor} />
    </section>
  );
}
