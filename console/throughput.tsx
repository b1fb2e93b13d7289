import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ok, type Schemas } from "./api.ts";
import { useApiData } from "./api-data.ts";
import { mayRead, screenReaders, useConsole } from "./state.ts";

type Throughput = Schemas["Throughput"];

const labels: Record<Throughput["series"][number]["metric"], { label: string; stroke: string }> = {
  pos_transactions: { label: "POS transactions", stroke: "#1f6feb" },
  reservations: { label: "Reservations", stroke: "#116329" },
  orders: { label: "Orders", stroke: "#9a3412" },
};

/** The day's hours drawn by uPlot, one line per metric. */
function ThroughputChart({ throughput }: { throughput: Throughput }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current!;
    const hours = throughput.series[0]?.points.map((point) => Date.parse(point.hour) / 1000) ?? [];
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        series: [{}, ...throughput.series.map((series) => ({ label: labels[series.metric].label, stroke: labels[series.metric].stroke, width: 2 }))],
        axes: [{}, { label: "per hour" }],
      },
      [hours, ...throughput.series.map((series) => series.points.map((point) => point.count))],
      element,
    );
    return () => chart.destroy();
  }, [throughput]);
  return <div class="chart" ref={target} aria-hidden="true" />;
}

/**
 * The tenant's throughput over the last 24 hours (GET /v1/metrics/throughput):
 * a chart, and for screen readers and exact figures a table of each metric's
 * day and last hour. Shown to the keys that may read it.
 */
export function ThroughputSection() {
  const allowed = mayRead(useConsole(), screenReaders.metrics);
  const { data: throughput, error } = useApiData(async (): Promise<Throughput> => ok(await api.GET("/v1/metrics/throughput", { params: { query: { hours: 24 } } })), [], {
    periodic: true,
    enabled: allowed,
  });
  if (!allowed) return null;
  return (
    <>
      <h2 id="throughput-title">Throughput, last 24 hours</h2>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {throughput ? (
        <>
          <p class="hint">Per hour{throughput.source === "analytics_engine" ? ", from Workers Analytics Engine" : ""}; orders are exact, the others may lag up to 10 s.</p>
          <ThroughputChart throughput={throughput} />
          <table aria-labelledby="throughput-title" class="narrow">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">24 hours</th>
                <th scope="col">This hour</th>
              </tr>
            </thead>
            <tbody>
              {throughput.series.map((series) => (
                <tr key={series.metric} data-metric={series.metric}>
                  <th scope="row">{labels[series.metric].label}</th>
                  <td>{series.points.reduce((sum, point) => sum + point.count, 0)}</td>
                  <td>{series.points.at(-1)?.count ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
