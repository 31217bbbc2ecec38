import { createLogger } from "@corral/lib";
import type { Server } from "bun";
import { renewForNewAddresses, type TlsMaterial, type TlsSource } from "./material.ts";

const log = createLogger("server.tls");

/** How often a generated certificate is checked against this machine's addresses (default). */
export const defaultAddressCheckMs = 30_000;

/**
 * The HTTPS listener, kept serving a certificate that names this machine's addresses: an address
 * that comes up while the server runs (DHCP after boot, a Docker bridge that gets its first
 * container) gets a new server certificate from the same CA within `checkMs`, and a new listener on
 * the same port serves it. The old listener stops accepting but keeps its connections, so agents'
 * websockets carry on. Bun cannot change a running listener's certificate, hence the new listener.
 */
export class HttpsListener<T> {
  private current: Server<T> | null;
  private readonly retired: Server<T>[] = [];
  private readonly timer: ReturnType<typeof setInterval> | null;
  private busy = false;
  private stopped = false;
  /** The port it listens on (the one chosen when 0 was asked). */
  readonly port: number;

  constructor(
    private readonly listen: (port: number, pair: { cert: string; key: string }) => Server<T>,
    private readonly material: TlsMaterial,
    port: number,
    private readonly dataDir: string | null,
    private readonly source: TlsSource | undefined,
    checkMs = defaultAddressCheckMs,
  ) {
    this.current = listen(port, material);
    this.port = this.current.port ?? port;
    this.timer = material.source === "generated" ? setInterval(() => void this.check(), checkMs) : null;
  }

  /** Makes a new certificate and listener when an address is not covered; retries a failed listen. */
  async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pair = await renewForNewAddresses(this.dataDir, this.material, this.source);
      if (pair && !this.stopped) {
        this.material.cert = pair.cert;
        this.material.key = pair.key;
        if (this.current) {
          this.current.stop(false);
          this.retired.push(this.current);
          this.current = null;
        }
      }
      if (!this.current && !this.stopped) this.current = this.listen(this.port, this.material);
    } catch (e) {
      log.error("cannot renew the HTTPS certificate or listener; trying again", { error: e });
    } finally {
      this.busy = false;
    }
  }

  /** Stops every listener, closing their connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.current, ...this.retired].map((s) => s?.stop(true)));
    this.current = null;
  }
}
