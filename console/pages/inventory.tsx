import { useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, ApiProblem, messageOf, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { LookupForm } from "../lookup-form.tsx";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { timeText, usePeriodicRefresh } from "../refresh.ts";
import { mayRead, screenReaders, useConsole } from "../state.ts";

type Inventory = Schemas["SkuInventory"];
/** A channel's figure, or why there is none (a channel key may read only its own channel). */
type ChannelFigure = { channel: string; available: number | null; updatedAt: string | null };

const ledgerPageSize = 50;

/** Every channel's availability of the SKU, one bulk call per channel (an unknown SKU is `unknown`, not 404). */
async function channelAvailability(sku: string): Promise<ChannelFigure[]> {
  const { channels } = ok(await api.GET("/v1/channels"));
  return Promise.all(
    channels.map(async ({ id }) => {
      const answer = ok(await api.GET("/v1/availability", { params: { query: { channel: id, skus: sku } } }));
      const item = answer.items[0];
      return { channel: id, available: item?.available ?? null, updatedAt: item?.updatedAt ?? null };
    }),
  );
}

/** The SKU's movement ledger, oldest first, a page at a time. */
function Ledger({ sku }: { sku: string }) {
  const pages = useCursorPages();
  const seesTraces = mayRead(useConsole(), screenReaders.traces);
  const { data: page, error } = useApiData(
    async () => ok(await api.GET("/v1/inventory/{sku}/ledger", { params: { path: { sku }, query: { cursor: pages.cursor, limit: ledgerPageSize } } })),
    [sku, pages.cursor],
  );

  return (
    <>
      <h2 id="ledger-title">Ledger</h2>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page && page.entries.length === 0 ? <p>No movements{pages.number > 1 ? " on this page" : ""}.</p> : null}
      {page && page.entries.length > 0 ? (
        <table aria-describedby="ledger-title">
          <caption>Movements of {sku}, oldest first{pageSuffix(pages)}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">At</th>
              <th scope="col">Type</th>
              <th scope="col">Location</th>
              <th scope="col">onHand Δ</th>
              <th scope="col">Reserved Δ</th>
              <th scope="col">Safety stock Δ</th>
              <th scope="col">Leased Δ</th>
              <th scope="col">Reason</th>
              <th scope="col">Reference</th>
              <th scope="col">Trace</th>
            </tr>
          </thead>
          <tbody>
            {page.entries.map((entry) => (
              <tr key={entry.seq}>
                <th scope="row">{entry.seq}</th>
                <td>{timeText(entry.at)}</td>
                <td>{entry.type}</td>
                <td>{entry.location}</td>
                <td>{signed(entry.delta)}</td>
                <td>{signed(entry.reservedDelta)}</td>
                <td>{signed(entry.safetyStockDelta)}</td>
                <td>{signed(entry.leasedDelta)}</td>
                <td>{entry.reason ?? "—"}</td>
                <td class="wrap">{entry.reference ?? entry.reservationId ?? "—"}</td>
                <td>{entry.traceId && seesTraces ? <Link href={`/traces/${entry.traceId}`} title={entry.traceId}>{entry.traceId.slice(0, 8)}…</Link> : (entry.traceId ?? "—")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pages={pages} nextCursor={page?.nextCursor} label="the ledger" />
    </>
  );
}

/** The SKU's active reservations, in the order they were taken, a page at a time (a flash sale's shards count theirs apart). */
function Reservations({ sku }: { sku: string }) {
  const pages = useCursorPages();
  const { data: page, error } = useApiData(
    async () => ok(await api.GET("/v1/inventory/{sku}/reservations", { params: { path: { sku }, query: { cursor: pages.cursor, limit: ledgerPageSize } } })),
    [sku, pages.cursor],
    { periodic: true },
  );

  return (
    <>
      <h2 id="reservations-title">Active reservations</h2>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page && page.reservations.length === 0 ? <p>No active reservations{pages.number > 1 ? " on this page" : ""}.</p> : null}
      {page && page.reservations.length > 0 ? (
        <table aria-describedby="reservations-title">
          <caption>Active reservations of {sku}, oldest first{pageSuffix(pages)}</caption>
          <thead>
            <tr>
              <th scope="col">Reservation</th>
              <th scope="col">Channel</th>
              <th scope="col">Units</th>
              <th scope="col">Where</th>
              <th scope="col">Reference</th>
              <th scope="col">Taken</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {page.reservations.map((reservation) => (
              <tr key={reservation.id} data-reservation={reservation.id}>
                <th scope="row" class="wrap">{reservation.id}</th>
                <td>{reservation.channel}</td>
                <td>{reservation.qty}</td>
                <td>{reservation.allocations.map((allocation) => `${allocation.location} × ${allocation.qty}`).join(", ")}</td>
                <td class="wrap">{reservation.reference}</td>
                <td>{timeText(reservation.createdAt)}</td>
                <td>{timeText(reservation.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pages={pages} nextCursor={page?.nextCursor} label="the reservations" />
    </>
  );
}

const signed = (value: number) => (value > 0 ? `+${value}` : value === 0 ? "0" : `−${-value}`);

/** The SKU's figures per location and in total, and what each channel may sell of it; read again every 5 s. */
function Figures({ sku }: { sku: string }) {
  const state = useConsole();
  const [inventory, setInventory] = useState<Inventory | null>(null);
  const [channels, setChannels] = useState<ChannelFigure[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [channelError, setChannelError] = useState<string | null>(null);
  // Channels are listed to admin, erp and readonly keys; availability is polled by those and channel keys.
  const seesChannels = mayRead(state, ["admin", "erp", "readonly"]);

  const { refresh, refreshedAt } = usePeriodicRefresh(async () => {
    const [figures, perChannel] = await Promise.allSettled([api.GET("/v1/inventory/{sku}", { params: { path: { sku } } }).then(ok), seesChannels ? channelAvailability(sku) : Promise.resolve(null)]);
    if (figures.status === "fulfilled") {
      setInventory(figures.value);
      setError(null);
    } else {
      setInventory(null);
      const failure = figures.reason as unknown;
      setError(failure instanceof ApiProblem && failure.code === "not_found" ? `No stock recorded for SKU ${sku}.` : messageOf(failure));
    }
    if (perChannel.status === "fulfilled") {
      setChannels(perChannel.value);
      setChannelError(null);
    } else setChannelError(messageOf(perChannel.reason));
  }, [sku, seesChannels]);

  return (
    <>
      <div class="refresh">
        <button type="button" onClick={refresh}>Refresh</button>
        <span class="hint">{refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}, every 5 s while this page is open` : "Loading…"}</span>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {inventory ? (
        <table>
          <caption>Stock of {inventory.sku} by location (version {inventory.version})</caption>
          <thead>
            <tr>
              <th scope="col">Location</th>
              <th scope="col">On hand</th>
              <th scope="col">Safety stock</th>
              <th scope="col">Reserved</th>
              <th scope="col">Leased</th>
              <th scope="col">Available</th>
            </tr>
          </thead>
          <tbody>
            {inventory.locations.map((stock) => (
              <tr key={stock.location} data-location={stock.location}>
                <th scope="row">{stock.location}</th>
                <td>{stock.onHand}</td>
                <td>{stock.safetyStock}</td>
                <td>{stock.reserved}</td>
                <td>{stock.leased}</td>
                <td>{stock.available}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All locations</th>
              <td>{inventory.totals.onHand}</td>
              <td>{inventory.totals.safetyStock}</td>
              <td>{inventory.totals.reserved}</td>
              <td>{inventory.totals.leased}</td>
              <td>{inventory.totals.available}</td>
            </tr>
          </tfoot>
        </table>
      ) : null}
      <p class="hint">Available = on hand − safety stock − leased − reserved, never below 0. Active reservations are listed below; a flash sale's shards count theirs on the SKU's hot view.</p>

      <h2 id="channels-title">Availability by channel</h2>
      {!seesChannels ? <p>This key's role cannot list the tenant's channels.</p> : null}
      {channelError ? <p role="alert" class="error">{channelError}</p> : null}
      {channels && channels.length === 0 ? <p>The tenant has no channels.</p> : null}
      {channels && channels.length > 0 ? (
        <table class="narrow" aria-labelledby="channels-title">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">May sell</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((figure) => (
              <tr key={figure.channel}>
                <th scope="row">{figure.channel}</th>
                <td>{figure.available ?? "— (no stock in its pool)"}</td>
                <td>{timeText(figure.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p class="hint">From the availability read model, which trails the stock above by a fraction of a second.</p>
    </>
  );
}

/** Inventory lookup: a SKU's figures per location, each channel's availability, its active reservations, and its ledger. */
export function InventoryLookup({ sku }: { sku: string | null }) {
  const seesReservations = mayRead(useConsole(), screenReaders.reservations);
  return (
    <section aria-labelledby="inventory-title">
      <h1 id="inventory-title">{sku ? `Inventory of ${sku}` : "Inventory lookup"}</h1>
      <LookupForm name="Look up a SKU" label="SKU" base="/inventory" value={sku ?? ""} submit="Look up" hint="The SKU exactly as the catalog writes it, e.g. TSHIRT-RED-M." />
      {sku ? (
        <>
          <Figures key={`figures-${sku}`} sku={sku} />
          {seesReservations ? <Reservations key={`reservations-${sku}`} sku={sku} /> : null}
          <Ledger key={`ledger-${sku}`} sku={sku} />
        </>
      ) : null}
    </section>
  );
}
