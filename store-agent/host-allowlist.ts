const loopbackNames = ["localhost", "127.0.0.1", "[::1]"];
const wildcards = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * The Host headers the POS API answers to. A page on the store PC that
 * rebinds its own name to 127.0.0.1 still sends its own name as Host, so
 * refusing names not on this list defeats DNS rebinding.
 *
 * Entries are `name` or `name:port`; a name without a port means the port
 * the agent listens on. Until that port is known, nothing is allowed.
 *
 * @example
 * const hosts = new HostAllowlist([], "127.0.0.1");
 * hosts.listeningOn(8790);
 * hosts.allows("localhost:8790"); // true
 * hosts.allows("evil.example:8790"); // false
 */
export class HostAllowlist {
  readonly #entries: string[];
  #allowed = new Set<string>();

  /** With no configured entries: localhost, 127.0.0.1, [::1] and the bind address if it is a specific one. */
  constructor(configured: string[], bindHost: string) {
    const bind = bindHost.includes(":") && !bindHost.startsWith("[") ? `[${bindHost}]` : bindHost;
    this.#entries = configured.length > 0 ? configured : wildcards.has(bind) ? loopbackNames : [...new Set([...loopbackNames, bind.toLowerCase()])];
  }

  listeningOn(port: number): void {
    this.#allowed = new Set(this.#entries.map((entry) => (hasPort(entry) ? entry.toLowerCase() : `${entry.toLowerCase()}:${port}`)));
  }

  allows(host: string | undefined): boolean {
    if (!host) return false;
    const normalized = host.trim().toLowerCase();
    return this.#allowed.has(hasPort(normalized) ? normalized : `${normalized}:80`);
  }

  /** The allowed `host:port` values, for the log and the refusal's detail. */
  get allowed(): string[] {
    return [...this.#allowed];
  }
}

function hasPort(host: string): boolean {
  return /:\d+$/.test(host) && !/^[^[].*:.*:/.test(host);
}
