import migrations from "./migrations/application-budget/migrations.js";
import { FairShareBucket } from "./connectors/fair-share.ts";
import { parseName, type ApplicationIdentity } from "./objects.ts";
import * as schema from "./schema/application-budget.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

/** Operations with a published per-application rate, and the Worker variable that sets each (Amazon: patchListingsItem, 500 a second). */
const operations = {
  patchListingsItem: { variable: "AMAZON_APPLICATION_PATCH_RATE" },
} as const;

export type BudgetedOperation = keyof typeof operations;

/**
 * The bucket Shelfsync hands out, inside the remote's: calls granted here
 * travel to the remote from many connections at once, and unequal network
 * delays can bunch calls granted apart. Granting 90 % of the rate with half
 * the burst leaves the remote's bucket that much slack (at 500 a second,
 * 250 calls: the jitter of half a second at full speed).
 */
export function withJitterMargin(rate: number): { rate: number; burst: number } {
  return { rate: rate * 0.9, burst: Math.max(1, Math.floor(rate / 2)) };
}

/**
 * One per remote application (named `<remote>:<application>`), above the
 * tenants: every connection of every tenant that calls the remote as this
 * application takes its calls of a budgeted operation from here, so that all
 * of them together stay inside the application's published rate (Amazon
 * allows an application 500 patchListingsItem calls a second, whatever the
 * sellers). Shared fairly (./connectors/fair-share.ts): when many ask, each
 * gets an equal share of the burst. Each grant is a call on this object, so
 * connections ask for their next few calls at once.
 */
export class ApplicationBudget extends ShelfsyncObject<typeof schema, ApplicationIdentity> {
  private readonly bucketsByOperation = new Map<BudgetedOperation, FairShareBucket>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.application });
  }

  /** Up to `wanted` calls of `operation` for `requester` (a connection) now; with none granted, when to ask again. */
  async take(requester: string, operation: BudgetedOperation, wanted: number): Promise<{ granted: number; retryAt: number | null }> {
    const now = this.now();
    const bucket = this.bucketOf(operation, now);
    const answer = bucket.take(requester, wanted, now);
    if (answer.granted > 0) {
      this.db
        .insert(schema.buckets)
        .values({ operation, ...bucket.state })
        .onConflictDoUpdate({ target: schema.buckets.operation, set: bucket.state })
        .run();
    }
    return answer;
  }

  private bucketOf(operation: BudgetedOperation, now: number): FairShareBucket {
    let bucket = this.bucketsByOperation.get(operation);
    if (!bucket) {
      const rate = Number(this.env[operations[operation].variable]);
      if (!(rate > 0)) throw new Error(`${operations[operation].variable} must be a positive number of calls a second`);
      const saved = this.db.select().from(schema.buckets).all().find((row) => row.operation === operation);
      bucket = new FairShareBucket(withJitterMargin(rate), now, saved);
      this.bucketsByOperation.set(operation, bucket);
    }
    return bucket;
  }
}
