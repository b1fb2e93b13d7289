import cliProgress from "cli-progress";
import { machineLine } from "./harness.ts";
import { runAgentSoak, type SoakFigures } from "./soak-agent-run.ts";

/**
 * `npm run soak:agent`: SOAK_KILLS (1,000) SIGKILLs of a real store agent
 * while terminals sell, return and void and the link to the edge is cut,
 * hangs or drops answers after the edge applied a batch; then the audit of
 * every acknowledged transaction against the edge. Exit 1 on any finding.
 * Knobs: SOAK_KILLS, SOAK_SEED (printed; the same seed gives the same
 * choices, timing still varies), SOAK_TERMINALS (3), SOAK_KILL_MIN_MS (50),
 * SOAK_KILL_MAX_MS (500), SOAK_EDGE_TIMEOUT (1, the agent's --edge-timeout).
 */
function integer(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

const kills = integer("SOAK_KILLS", 1_000);
const seed = integer("SOAK_SEED", Math.floor(Math.random() * 2 ** 31));
const terminals = integer("SOAK_TERMINALS", 3);
const killDelayMs = { min: integer("SOAK_KILL_MIN_MS", 50), max: integer("SOAK_KILL_MAX_MS", 500) };
const edgeTimeoutSeconds = Number(process.env.SOAK_EDGE_TIMEOUT ?? 1);

process.stdout.write(`[soak:agent] ${kills} kills, ${terminals} terminals, kill ${killDelayMs.min}-${killDelayMs.max} ms after start, agent edge timeout ${edgeTimeoutSeconds} s, seed ${seed} (SOAK_SEED=${seed} repeats the choices)\n`);
process.stdout.write(`[soak:agent] ${machineLine()}\n`);

const bar = new cliProgress.SingleBar(
  { format: "Kills |{bar}| {value}/{total} {acknowledged} acknowledged, {rate} kills/min", noTTYOutput: true, notTTYSchedule: 10_000, hideCursor: true },
  cliProgress.Presets.shades_classic,
);
const started = Date.now();
const perMinute = (count: number, ms: number) => (ms > 0 ? ((count * 60_000) / ms).toFixed(1) : "0");
bar.start(kills, 0, { acknowledged: 0, rate: "0" });
const onKill = (done: number, figures: SoakFigures) => bar.update(done, { acknowledged: figures.acknowledged, rate: perMinute(done, Date.now() - started) });

const { figures, problems } = await runAgentSoak({ kills, seed, terminals, killDelayMs, edgeTimeoutSeconds, onKill }).finally(() => bar.stop());

const modeTotal = Object.values(figures.modeMs).reduce((sum, ms) => sum + ms, 0) || 1;
const shares = Object.entries(figures.modeMs).map(([mode, ms]) => `${mode} ${((100 * ms) / modeTotal).toFixed(1)}%`);
const lines = [
  `kills                 ${figures.kills} in ${(figures.durationMs / 60_000).toFixed(1)} min (${perMinute(figures.kills, figures.durationMs)} kills/min, setup and drain included)`,
  `acknowledged          ${figures.acknowledged} transactions: ${figures.byKind.sale} sales, ${figures.byKind.return} returns, ${figures.byKind.void} voids; ${figures.ledgerLines} ledger lines`,
  `resends               ${figures.retries} resend attempts of unanswered transactions; ${figures.answeredOnResend} answered 200 (stored before the kill)`,
  `link time             ${shares.join(", ")}`,
  `pushes through proxy  ${Object.entries(figures.pushes).filter(([, n]) => n > 0).map(([action, n]) => `${action} ${n}`).join(", ")}; ${figures.appliedThenDropped} applied by the edge and then dropped`,
  `replayed              ${figures.settledAsDuplicate} transactions settled as "duplicate" (applied by a push whose answer was lost)`,
  `audit                 ${problems.length === 0 ? "PASS: every acknowledged transaction at the edge exactly once, none lost, none extra, onHand equal" : `FAIL: ${problems.length} finding(s)`}`,
];
process.stdout.write(`${lines.map((line) => `[soak:agent] ${line}`).join("\n")}\n`);
for (const problem of problems.slice(0, 50)) process.stdout.write(`[soak:agent]   ${problem}\n`);
process.exitCode = problems.length === 0 ? 0 : 1;
