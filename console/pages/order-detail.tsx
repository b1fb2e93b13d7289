import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { timeText } from "../refresh.ts";
import { mayRead, screenReaders, useConsole } from "../state.ts";

type Order = Schemas["Order"];

/** Minor units as the currency writes them (2 decimals for USD, none for JPY). */
export function moneyText(minorUnits: number, currency: string): string {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  return format.format(minorUnits / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

function deliveryText(delivery: Order["delivery"]): string {
  if (delivery.type === "pickup") return `Pickup at ${delivery.location}`;
  const { address } = delivery;
  return `Ship to ${[address.name, address.line1, address.line2, address.city, address.region, address.postalCode, address.country].filter(Boolean).join(", ")}`;
}

function detailText(detail: Order["events"][number]["detail"]): string {
  if (!detail) return "";
  return Object.entries(detail)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : String(value)}`)
    .join("; ");
}

const skuLink = (sku: string) => <Link href={`/inventory/${encodeURIComponent(sku)}`}>{sku}</Link>;

/**
 * One order: its lines and delivery, where it is allocated and how much is
 * still held, what was fulfilled or cancelled, its customer, and every state
 * transition; read again every 5 s while the page is visible.
 */
export function OrderDetail({ id }: { id: string }) {
  const seesTraces = mayRead(useConsole(), screenReaders.traces);
  const { data: order, error, refresh, refreshedAt } = useApiData(async (): Promise<Order> => ok(await api.GET("/v1/orders/{id}", { params: { path: { id } } })), [id], { periodic: true });

  return (
    <section aria-labelledby="order-title">
      <p><Link href="/orders">← All orders</Link></p>
      <h1 id="order-title">Order {id}</h1>
      <div class="refresh">
        <button type="button" onClick={refresh}>Refresh</button>
        <span class="hint">{refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}, every 5 s while this page is open` : "Loading…"}</span>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {order ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd><span class={`badge order-${order.status}`} data-testid="order-status">{order.status}</span></dd>
            <dt>Channel</dt>
            <dd>{order.channel} · external id {order.externalId}</dd>
            <dt>Customer</dt>
            <dd>{order.customerId ? <Link href={`/customers/${encodeURIComponent(order.customerId)}`}>{order.customerId}</Link> : "— (linked at its first fulfilment or return)"}</dd>
            <dt>Trace</dt>
            <dd>{order.traceId && seesTraces ? <Link href={`/traces/${order.traceId}`}>{order.traceId}</Link> : (order.traceId ?? "— (placed before tracing)")}</dd>
            <dt>Delivery</dt>
            <dd>{deliveryText(order.delivery)}</dd>
            <dt>Shipping</dt>
            <dd>{moneyText(order.shipping, order.currency)}</dd>
            <dt>Created</dt>
            <dd>{timeText(order.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{timeText(order.updatedAt)}</dd>
          </dl>

          <table>
            <caption>Lines</caption>
            <thead>
              <tr><th scope="col">SKU</th><th scope="col">Qty</th><th scope="col">Unit price</th><th scope="col">Discount</th><th scope="col">Tax</th></tr>
            </thead>
            <tbody>
              {order.lines.map((line) => (
                <tr key={line.sku}>
                  <th scope="row">{skuLink(line.sku)}</th>
                  <td>{line.qty}</td>
                  <td>{moneyText(line.unitPrice, order.currency)}</td>
                  <td>{moneyText(line.discount ?? 0, order.currency)}</td>
                  <td>{moneyText(line.tax ?? 0, order.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>

          {order.shortages.length > 0 ? (
            <table>
              <caption>Shortages: why it is {order.status}</caption>
              <thead><tr><th scope="col">SKU</th><th scope="col">Requested</th><th scope="col">Available when routed</th></tr></thead>
              <tbody>
                {order.shortages.map((shortage) => (
                  <tr key={shortage.sku}><th scope="row">{skuLink(shortage.sku)}</th><td>{shortage.requested}</td><td>{shortage.available}</td></tr>
                ))}
              </tbody>
            </table>
          ) : null}

          {order.allocations.length === 0 ? <p>No allocations.</p> : (
            <table>
              <caption>Allocations: where the order was routed, and the units still reserved there</caption>
              <thead>
                <tr><th scope="col">Location</th><th scope="col">SKU</th><th scope="col">Allocated</th><th scope="col">Held</th><th scope="col">Reservation</th></tr>
              </thead>
              <tbody>
                {order.allocations.map((allocation, at) => (
                  <tr key={at}>
                    <th scope="row">{allocation.location}</th>
                    <td>{skuLink(allocation.sku)}</td>
                    <td>{allocation.qty}</td>
                    <td>{allocation.held}</td>
                    <td>{allocation.reservationId ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <table class="narrow">
            <caption>Fulfilled units</caption>
            <thead><tr><th scope="col">Location</th><th scope="col">SKU</th><th scope="col">Qty</th></tr></thead>
            <tbody>
              {order.fulfilled.length === 0 ? <tr><td colSpan={3}>None yet.</td></tr> : order.fulfilled.map((unit, at) => (
                <tr key={at}><th scope="row">{unit.location}</th><td>{skuLink(unit.sku)}</td><td>{unit.qty}</td></tr>
              ))}
            </tbody>
          </table>
          <table class="narrow">
            <caption>Cancelled units</caption>
            <thead><tr><th scope="col">SKU</th><th scope="col">Qty</th></tr></thead>
            <tbody>
              {order.cancelled.length === 0 ? <tr><td colSpan={2}>None.</td></tr> : order.cancelled.map((unit, at) => (
                <tr key={at}><th scope="row">{skuLink(unit.sku)}</th><td>{unit.qty}</td></tr>
              ))}
            </tbody>
          </table>

          <table>
            <caption>Timeline: every transition, oldest first</caption>
            <thead>
              <tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">From → to</th><th scope="col">Cause</th><th scope="col">Detail</th></tr>
            </thead>
            <tbody>
              {order.events.map((event, at) => (
                <tr key={at}>
                  <th scope="row">{timeText(event.at)}</th>
                  <td>{event.type}</td>
                  <td>{event.from ?? "new"} → {event.to}</td>
                  <td>{event.cause}</td>
                  <td>{detailText(event.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
