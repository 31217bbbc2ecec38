import { createLogger, sleep } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "./host.ts";
import { networkCommands } from "./network.ts";
import type { Link } from "./network-plan.ts";

/** One kernel uevent, as far as CorralOS cares: a network link or a block device coming or going. */
export interface Uevent {
  action: string;
  subsystem: string;
  /** The link name (net) or the device name (block). */
  name: string;
  /** `disk` or `partition` for block devices. */
  devtype: string;
  /** The link's MAC (net `add` events), read from sysfs where the event was seen. */
  mac: string;
}

/**
 * The script busybox `uevent` runs for each kernel uevent (it listens on the kernel's netlink
 * uevent socket, so these are the same events udev gets): one tab-separated line per event.
 */
const eventScript =
  // A hot-plugged device's driver first (what udev did with MODALIAS): a new PCI NIC has no link until then.
  '[ "$ACTION" = add ] && [ -n "$MODALIAS" ] && modprobe -qa "$MODALIAS" 2>/dev/null; ' +
  'mac=""; [ "$SUBSYSTEM" = net ] && [ -n "$INTERFACE" ] && mac=$(cat "/sys/class/net/$INTERFACE/address" 2>/dev/null); ' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
  'printf "%s\\t%s\\t%s\\t%s\\t%s\\n" "$ACTION" "$SUBSYSTEM" "${INTERFACE:-$DEVNAME}" "$DEVTYPE" "$mac"';

/** The command that prints uevents, one line each; `prefix` runs it elsewhere (`ip netns exec ns`). */
export function ueventCommand(prefix: string[] = []): string[] {
  return [...prefix, "busybox", "uevent", "sh", "-c", eventScript];
}

/** Parses one line of {@link ueventCommand}; undefined for lines that are not events. */
export function parseUevent(line: string): Uevent | undefined {
  const [action = "", subsystem = "", name = "", devtype = "", mac = ""] = line.split("\t");
  if (!action || !subsystem || !name) return undefined;
  return { action, subsystem, name: name.replace(/^\/dev\//, ""), devtype, mac: mac.trim() };
}

const log = createLogger("hotplug");

/**
 * Watches kernel uevents through a long-running `busybox uevent` (restarted with backoff if it
 * exits) and hands each net/block event to `onEvent`. `stop()` ends it.
 */
export class UeventWatcher {
  private proc: ReturnType<typeof Bun.spawn> | undefined;
  private readonly stopped = new AbortController();
  /** Resolves once the listener is running (its socket bound), for tests that then cause events. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => {};

  constructor(
    private readonly onEvent: (e: Uevent) => void | Promise<void>,
    private readonly command: string[] = ueventCommand(),
  ) {
    this.started = new Promise((r) => {
      this.markStarted = r;
    });
    void this.loop();
  }

  private async loop(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped.signal.aborted) {
      const began = Date.now();
      try {
        this.proc = Bun.spawn(this.command, { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
        this.markStarted();
        await this.read(this.proc.stdout as ReadableStream<Uint8Array>);
        await this.proc.exited;
      } catch (e) {
        log.warn("uevent listener failed", { error: e });
      }
      if (this.stopped.signal.aborted) break;
      if (Date.now() - began > 60_000) backoff = 1000;
      log.warn("uevent listener exited; restarting", { inMs: backoff });
      await sleep(backoff, this.stopped.signal);
      backoff = Math.min(backoff * 2, 60_000);
    }
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const e = parseUevent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        if (e && (e.subsystem === "net" || e.subsystem === "block")) {
          try {
            await this.onEvent(e);
          } catch (err) {
            log.warn("uevent handler failed", { event: `${e.action} ${e.subsystem} ${e.name}`, error: err });
          }
        }
      }
    }
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.stopped.abort();
    this.proc?.kill();
    await this.proc?.exited;
  }
}

/** Links Docker makes for containers and its networks (veth pairs, docker0, br-<id>). */
const containerLink = /^(veth[0-9a-f]+|docker\d+|br-[0-9a-f]{12})$/;

/**
 * Configures links that appear after boot (hot-plugged NICs, a VM's added interface): the steps
 * the whole config gives with the new link, minus those it gave without it, so only what concerns
 * the new link runs (its addresses, DHCP, its bond or bridge membership, VLANs on it). Block
 * devices are reported. Returns the handler for a {@link UeventWatcher}.
 */
export function hotplugHandler(
  host: Host,
  config: () => CorralConfig,
  known: Link[],
  report: (line: string) => void,
): (e: Uevent) => Promise<void> {
  return async (e) => {
    if (e.subsystem === "block") {
      if (e.action === "add" || e.action === "remove")
        report(`${e.devtype || "block device"} ${e.action === "add" ? "added" : "removed"}: /dev/${e.name}`);
      return;
    }
    if (e.action === "remove") {
      const i = known.findIndex((l) => l.name === e.name);
      if (i >= 0) known.splice(i, 1);
      return;
    }
    if (e.action !== "add" || e.name === "lo" || known.some((l) => l.name === e.name)) return;
    // Docker's own plumbing (a veth per container, its bridges) comes and goes all day: not NICs.
    if (containerLink.test(e.name)) return;
    const plan = networkCommands(config(), known);
    // Links the config itself makes (bonds, bridges, VLANs) are announced too: already done.
    const made = plan.some(
      ([f, a]) =>
        f === "ip" &&
        a[0] === "link" &&
        a[1] === "add" &&
        (a[2] === e.name || (a.includes("name") && a[a.indexOf("name") + 1] === e.name)),
    );
    if (made) return;
    const before = plan.map((c) => JSON.stringify(c));
    known.push({ name: e.name, mac: e.mac });
    const counts = new Map<string, number>();
    for (const c of before) counts.set(c, (counts.get(c) ?? 0) + 1);
    const fresh = networkCommands(config(), known).filter((c) => {
      const k = JSON.stringify(c);
      const n = counts.get(k) ?? 0;
      if (n > 0) counts.set(k, n - 1);
      return n === 0;
    });
    if (fresh.length === 0) {
      log.debug("link added, no config for it", { link: e.name });
      return;
    }
    report(`link added: ${e.name}${e.mac ? ` (${e.mac})` : ""}, ${fresh.length} step(s)`);
    for (const [file, args] of fresh) {
      try {
        await host.run(file, args);
      } catch (err) {
        report(`  ${file} ${args.join(" ")}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}
