import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Starts a fake remote's `server` on 127.0.0.1 at `port` (0: the OS chooses)
 * and answers the port it listens on; a taken port rejects (EADDRINUSE).
 */
export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
