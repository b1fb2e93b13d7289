import { useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { Pager, pageSuffix, useCursorPages } from "../paging.tsx";
import { timeText } from "../refresh.ts";

type OrderStatus = Schemas["Order"]["status"];

export const orderStatuses: OrderStatus[] = ["received", "reserved", "partially_fulfilled", "fulfilled", "cancelled", "backordered", "in_exception"];
const pageSize = 25;

/** The tenant's orders, oldest first, filtered by status, a page at a time (by cursor). */
export function Orders() {
  const [status, setStatus] = useState<OrderStatus | "">("");
  const pages = useCursorPages();
  const { data: page, error } = useApiData(
    async () => ok(await api.GET("/v1/orders", { params: { query: { status: status || undefined, cursor: pages.cursor, limit: pageSize } } })),
    [status, pages.cursor],
  );

  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">Orders</h1>
      <form class="filters" aria-label="Filter orders" onSubmit={(event) => event.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(event) => { setStatus(event.currentTarget.value as OrderStatus | ""); pages.reset(); }}>
            <option value="">Any status</option>
            {orderStatuses.map((value) => <option key={value} value={value}>{value}</option>)}
          </select>
        </label>
      </form>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {page && page.orders.length === 0 ? <p>No orders match.</p> : null}
      {page && page.orders.length > 0 ? (
        <table>
          <caption>Orders, oldest first{pageSuffix(pages)}</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Channel</th>
              <th scope="col">External id</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {page.orders.map((order) => (
              <tr key={order.id}>
                <th scope="row"><Link href={`/orders/${encodeURIComponent(order.id)}`}>{order.id}</Link></th>
                <td>{order.channel}</td>
                <td>{order.externalId}</td>
                <td><span class={`badge order-${order.status}`}>{order.status}</span></td>
                <td>{timeText(order.createdAt)}</td>
                <td>{timeText(order.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pages={pages} nextCursor={page?.nextCursor} />
    </section>
  );
}
