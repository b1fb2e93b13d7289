import { useState } from "preact/hooks";
import { Link, useLocation, useSearch } from "wouter-preact";
import { api, ok } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { timeText } from "../refresh.ts";

type Field = "email" | "phone" | "loyaltyId";
const fields: { value: Field; label: string; hint: string }[] = [
  { value: "email", label: "Email", hint: "Case and spaces do not matter." },
  { value: "phone", label: "Phone", hint: "International (+44 20 7946 0958) or, with the tenant's default country, national." },
  { value: "loyaltyId", label: "Loyalty id", hint: "The number on the customer's loyalty card." },
];

/** The lookup the URL names (`?email=…`), if any: so a lookup can be gone back to. */
function lookupOf(search: string): { field: Field; value: string } | null {
  const query = new URLSearchParams(search);
  for (const { value: field } of fields) {
    const value = query.get(field);
    if (value) return { field, value };
  }
  return null;
}

/**
 * Find customers by email, phone or loyalty id. Contact is shown as the API
 * answers it: in full to admin and erp keys, masked to the others.
 */
export function Customers() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const current = lookupOf(search);
  const [field, setField] = useState<Field>(current?.field ?? "email");
  const [value, setValue] = useState(current?.value ?? "");
  const { data: found, error } = useApiData(async () => ok(await api.GET("/v1/customers", { params: { query: { [current!.field]: current!.value } } })).customers, [search], {
    enabled: current !== null,
    clearOnChange: true,
  });

  const hint = fields.find((entry) => entry.value === field)!.hint;
  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">Customers</h1>
      <form
        class="lookup filters"
        aria-label="Find a customer"
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) navigate(`/customers?${new URLSearchParams({ [field]: value.trim() })}`);
        }}
      >
        <label>
          Find by
          <select value={field} onChange={(event) => setField(event.currentTarget.value as Field)}>
            {fields.map((entry) => <option key={entry.value} value={entry.value}>{entry.label}</option>)}
          </select>
        </label>
        <label>
          Value
          <input
            name="value"
            value={value}
            required
            type={field === "email" ? "email" : field === "phone" ? "tel" : "text"}
            autoComplete="off"
            aria-describedby="customer-lookup-hint"
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </label>
        <button type="submit" class="align-end">Find</button>
      </form>
      <p id="customer-lookup-hint" class="hint">{hint}</p>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {found && found.length === 0 ? <p role="status">No customer has that {fields.find((entry) => entry.value === current?.field)?.label.toLowerCase()}.</p> : null}
      {found && found.length > 0 ? (
        <table>
          <caption>Customers found, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Loyalty id</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {found.map((customer) => (
              <tr key={customer.id}>
                <th scope="row"><Link href={`/customers/${encodeURIComponent(customer.id)}`}>{customer.id}</Link></th>
                <td>{customer.name ?? "—"}</td>
                <td>{customer.email ?? "—"}</td>
                <td>{customer.phone ?? "—"}</td>
                <td>{customer.loyaltyId ?? "—"}</td>
                <td>{timeText(customer.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
