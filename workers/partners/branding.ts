import { platformDirectory } from "../../durable/objects.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import type { HostBranding } from "../../shared/schemas/partners.ts";

/** How long an isolate shows a host's brand without asking the platform directory again. */
export const brandTtlMs = 60_000;
const maxHosts = 1_000;

/**
 * The brand of each host this isolate served, for at most `brandTtlMs`,
 * Shelfsync's own included (most requests come to hosts no partner serves
 * on: remembering that too keeps them from costing a read of the one
 * platform directory each). A brand changed here applies here at once.
 */
class HostBrands {
  clock: Clock = systemClock;
  private readonly byHost = new Map<string, { brand: HostBranding; at: number }>();

  async of(env: Env, host: string): Promise<HostBranding> {
    const now = this.clock.now();
    const cached = this.byHost.get(host);
    if (cached && now - cached.at < brandTtlMs) return cached.brand;
    const brand = await platformDirectory(env).brandOfHost(host);
    if (!cached && this.byHost.size >= maxHosts) this.byHost.delete(this.byHost.keys().next().value!);
    this.byHost.set(host, { brand, at: now });
    return brand;
  }

  /** Drops every remembered brand: one just changed here (hosts may have moved between partners). */
  forgetAll(): void {
    this.byHost.clear();
  }
}

export const hostBrands = new HostBrands();

/** The host a request was sent to, lowercase, without a port. */
export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}
