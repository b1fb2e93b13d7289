import { useEffect, useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { canManage, useConsole } from "../state.ts";
import { BulkReplayOutcomes, replayEach, type ReplayOutcome } from "./bulk-replay.tsx";

type ExceptionType = Schemas["Exception"]["type"];
type ExceptionState = Schemas["Exception"]["state"];

const types: ExceptionType[] = [
  "reservations_short", "unknown_sku", "tender_short", "webhook_unmapped", "backorder", "event_delivery_failed", "channel_sku_unmapped",
  "channel_order_unmapped", "channel_shipment_refused", "erp_journal_refused", "erp_sales_document_refused", "settlement_line_unmatched", "payout_unbalanced",
];
const states: ExceptionState[] = ["open", "retrying", "resolved", "ignored"];
const pageSize = 25;

/**
 * The tenant's exceptions, oldest first, filtered by type and state, a page at
 * a time (by cursor); admins may select some on the page and replay them.
 */
export function Exceptions() {
  const session = useConsole();
  const manage = canManage(session);
  const [type, setType] = useState<ExceptionType | "">("");
  const [state, setState] = useState<ExceptionState | "">("open");
  const pages = useCursorPages();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [outcomes, setOutcomes] = useState<ReplayOutcome[] | null>(null);
  const [replaying, setReplaying] = useState(false);
  const { cursor } = pages;

  const { data: page, error, refresh } = useApiData(
    async () => ok(await api.GET("/v1/exceptions", { params: { query: { type: type || undefined, state: state || undefined, cursor, limit: pageSize } } })),
    [type, state, cursor],
  );
  // A selection belongs to the page it was made on.
  useEffect(() => setSelected(new Set()), [type, state, cursor]);

  const onPage = page?.exceptions.map((exception) => exception.id) ?? [];
  const allSelected = onPage.length > 0 && onPage.every((id) => selected.has(id));

  function toggle(id: string, on: boolean) {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  }

  async function replaySelected() {
    setReplaying(true);
    setOutcomes(null);
    try {
      setOutcomes(await replayEach(onPage.filter((id) => selected.has(id))));
      setSelected(new Set());
      void refresh();
    } finally {
      setReplaying(false);
    }
  }

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
      {manage ? (
        <div class="bulk" role="group" aria-label="Act on the selected exceptions">
          <button type="button" disabled={replaying || selected.size === 0} onClick={() => void replaySelected()}>
            Replay selected{selected.size > 0 ? ` (${selected.size})` : ""}
          </button>
          <span class="hint">{replaying ? "Replaying…" : "Each replay runs once, a few at a time; the list is read again after."}</span>
        </div>
      ) : null}
      <BulkReplayOutcomes outcomes={outcomes} />
      {page && page.exceptions.length === 0 ? <p>No exceptions match.</p> : null}
      {page && page.exceptions.length > 0 ? (
        <table>
          <caption>
            Exceptions, oldest first{pageSuffix(pages)}
          </caption>
          <thead>
            <tr>
              {manage ? (
                <th scope="col">
                  <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={(event) => setSelected(new Set(event.currentTarget.checked ? onPage : []))} />
                </th>
              ) : null}
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
                {manage ? (
                  <td>
                    <input type="checkbox" aria-label={`Select exception ${exception.id}`} checked={selected.has(exception.id)} onChange={(event) => toggle(exception.id, event.currentTarget.checked)} />
                  </td>
                ) : null}
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
