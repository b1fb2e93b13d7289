import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { timeText } from "../refresh.ts";

type Account = Schemas["LoyaltyAccount"];

const ledgerPageSize = 50;
const signed = (value: number) => (value > 0 ? `+${value}` : value === 0 ? "0" : `−${-value}`);

/** The customer's points: balance, held and available, the lots with their expiry, active holds, and the ledger by cursor. */
function Loyalty({ id }: { id: string }) {
  const pages = useCursorPages();
  const { data: account, error } = useApiData(
    async (): Promise<Account> => ok(await api.GET("/v1/customers/{id}/loyalty", { params: { path: { id }, query: { cursor: pages.cursor, limit: ledgerPageSize } } })),
    [id, pages.cursor],
  );

  return (
    <>
      <h2 id="loyalty-title">Loyalty points</h2>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {account ? (
        <>
          <dl class="facts figures">
            <dt>Balance</dt>
            <dd data-testid="loyalty-balance">{account.balance}</dd>
            <dt>Held</dt>
            <dd data-testid="loyalty-held">{account.held}</dd>
            <dt>Available</dt>
            <dd data-testid="loyalty-available">{account.available}</dd>
          </dl>
          <table>
            <caption>Lots with points left, soonest expiry first</caption>
            <thead>
              <tr>
                <th scope="col">Lot</th>
                <th scope="col">Earned</th>
                <th scope="col">Remaining</th>
                <th scope="col">Held</th>
                <th scope="col">Earned at</th>
                <th scope="col">Expires</th>
                <th scope="col">Reference</th>
              </tr>
            </thead>
            <tbody>
              {account.lots.length === 0 ? <tr><td colSpan={7}>No lots.</td></tr> : account.lots.map((lot) => (
                <tr key={lot.id}>
                  <th scope="row">{lot.id}</th>
                  <td>{lot.earned}</td>
                  <td>{lot.remaining}</td>
                  <td>{lot.held}</td>
                  <td>{timeText(lot.earnedAt)}</td>
                  <td>{timeText(lot.expiresAt)}{lot.expired ? " (expired)" : ""}</td>
                  <td class="wrap">{lot.reference}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Active holds</caption>
            <thead>
              <tr>
                <th scope="col">Hold</th>
                <th scope="col">Points</th>
                <th scope="col">Reference</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {account.holds.length === 0 ? <tr><td colSpan={5}>No active holds.</td></tr> : account.holds.map((hold) => (
                <tr key={hold.id}>
                  <th scope="row">{hold.id}</th>
                  <td>{hold.points}</td>
                  <td class="wrap">{hold.reference}</td>
                  <td>{timeText(hold.createdAt)}</td>
                  <td>{timeText(hold.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Points ledger, oldest first{pageSuffix(pages)}</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">At</th>
                <th scope="col">Type</th>
                <th scope="col">Balance Δ</th>
                <th scope="col">Held Δ</th>
                <th scope="col">Source</th>
                <th scope="col">Reference</th>
              </tr>
            </thead>
            <tbody>
              {account.ledger.entries.length === 0 ? <tr><td colSpan={7}>No entries{pages.number > 1 ? " on this page" : ""}.</td></tr> : account.ledger.entries.map((entry) => (
                <tr key={entry.seq}>
                  <th scope="row">{entry.seq}</th>
                  <td>{timeText(entry.at)}</td>
                  <td>{entry.type}</td>
                  <td>{signed(entry.balanceDelta)}</td>
                  <td>{signed(entry.heldDelta)}</td>
                  <td>{entry.source}</td>
                  <td class="wrap">{entry.reference}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} nextCursor={account.ledger.nextCursor} label="the points ledger" />
        </>
      ) : null}
    </>
  );
}

/** One customer: contact (masked unless the key keeps the directory), merge and erasure, and the loyalty account. */
export function CustomerDetail({ id }: { id: string }) {
  const { data: customer, error } = useApiData(async () => ok(await api.GET("/v1/customers/{id}", { params: { path: { id } } })), [id], { clearOnChange: true });

  return (
    <section aria-labelledby="customer-title">
      <p><Link href="/customers">← Find customers</Link></p>
      <h1 id="customer-title">Customer {id}</h1>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {customer ? (
        <>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{customer.name ?? "—"}</dd>
            <dt>Email</dt>
            <dd>{customer.email ?? "—"}</dd>
            <dt>Phone</dt>
            <dd>{customer.phone ?? "—"}</dd>
            <dt>Loyalty id</dt>
            <dd>{customer.loyaltyId ?? "—"}</dd>
            <dt>Created</dt>
            <dd>{timeText(customer.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{timeText(customer.updatedAt)}</dd>
            {customer.mergedInto ? (
              <>
                <dt>Merged into</dt>
                <dd><Link href={`/customers/${encodeURIComponent(customer.mergedInto)}`}>{customer.mergedInto}</Link> (a duplicate: lookups answer that customer)</dd>
              </>
            ) : null}
            {customer.erased ? (
              <>
                <dt>Erased</dt>
                <dd>Personal data erased; the id stays as a pseudonym.</dd>
              </>
            ) : null}
          </dl>
          <Loyalty key={id} id={id} />
        </>
      ) : null}
    </section>
  );
}
