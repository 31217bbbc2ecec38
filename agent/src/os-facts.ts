// What the agent reports of the host's operating system. On CorralOS the agent runs as a system
// container with the host's PID namespace and /var/lib/corral and /var/run bind-mounted
// (system-services/agent/service.yml): the host's os-release is PID 1's (/proc/1/root), the slot
// records are on the state partition (/var/lib/corral/os, written by PID 1's upgrade code), and the
// slots' builds come from PID 1's control socket (/run/corral/init.sock), as `corral os version`.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CorralOsFacts } from "@corral/api";

/** Where PID 1's control socket is seen from the agent's container (/var/run is a link to /run). */
export const initSocketPaths = ["/run/corral/init.sock", "/var/run/corral/init.sock"];

/** What `GET /os/status` on PID 1's socket answers (os/src/upgrade/upgrade.ts `OsStatus`). */
export interface InitOsStatus {
  running: string;
  booted?: "A" | "B";
  installed: boolean;
  slots?: Record<"A" | "B", { version: string } | null>;
}

/** PID 1's answers the agent uses; the real one talks to the socket, tests give their own. */
export interface InitClient {
  status(): Promise<InitOsStatus>;
  /** Writes a release into the other slot without rebooting; answers what was written. */
  upgrade(req: { version?: string; channel?: string; file?: string }): Promise<{
    done: { version: string; slot: "A" | "B" };
    log: string[];
  }>;
  /** Asks PID 1 to reboot (it answers first, then stops everything). */
  reboot(): Promise<void>;
}

/** Calls PID 1 over the unix socket `path`; a refusal becomes an error with PID 1's message. */
export function socketInitClient(path: string): InitClient {
  const call = async (method: "GET" | "POST", route: string, body?: unknown) => {
    const res = await fetch(`http://init${route}`, {
      method,
      unix: path,
      // Writing a slot takes minutes on a slow disk, a download longer.
      timeout: false,
      body: body === undefined ? undefined : JSON.stringify(body),
    } as RequestInit);
    const answer = (await res.json()) as { error?: string };
    if (!res.ok) throw new Error(answer.error ?? `corral init answered HTTP ${res.status}`);
    return answer;
  };
  return {
    status: async () => (await call("GET", "/os/status")) as unknown as InitOsStatus,
    upgrade: async (req) =>
      (await call("POST", "/os/upgrade", { ...req, reboot: false })) as unknown as Awaited<
        ReturnType<InitClient["upgrade"]>
      >,
    reboot: async () => void (await call("POST", "/reboot")),
  };
}

/** The init client for this machine: undefined where no PID 1 socket is seen (not CorralOS). */
export function localInitClient(root = "/"): InitClient | undefined {
  const found = initSocketPaths.map((p) => join(root, p)).find((p) => existsSync(p));
  return found ? socketInitClient(found) : undefined;
}

/** The fields of an os-release file. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/** The host's os-release: PID 1's when visible (the agent's container has its own), else ours. */
export function readHostOsRelease(root = "/"): Record<string, string> {
  for (const p of ["proc/1/root/etc/os-release", "etc/os-release", "usr/lib/os-release"]) {
    try {
      return parseOsRelease(readFileSync(join(root, p), "utf8"));
    } catch {}
  }
  return {};
}

/** Reads a small text file, or undefined. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

type SlotEventLine = { at?: string; event?: string; slot?: "A" | "B"; version?: string; reason?: string };

const outcomes = new Set(["trial-boot", "healthy", "unhealthy", "rolled-back", "upgrade-refused"]);

/** The last event of the slot history that says how an upgrade or a trial boot went. */
function lastOutcome(root: string): CorralOsFacts["lastBoot"] {
  const text = readText(join(root, "var/lib/corral/os/boot-history.jsonl")) ?? "";
  // The file grows by a few lines per upgrade; only its end matters.
  const lines = text.slice(-65536).split("\n").reverse();
  for (const line of lines) {
    let e: SlotEventLine;
    try {
      e = JSON.parse(line) as SlotEventLine;
    } catch {
      continue;
    }
    if (!e.event || !outcomes.has(e.event) || (e.slot !== "A" && e.slot !== "B")) continue;
    return {
      outcome: e.event as NonNullable<CorralOsFacts["lastBoot"]>["outcome"],
      slot: e.slot,
      at: String(e.at ?? "").slice(0, 64),
      ...(e.version ? { version: String(e.version).slice(0, 128) } : {}),
      ...(e.reason ? { reason: String(e.reason).slice(0, 2048) } : {}),
    };
  }
  return null;
}

/** The pending trial PID 1 keeps beside the history. */
function readTrial(root: string): CorralOsFacts["trial"] {
  const text = readText(join(root, "var/lib/corral/os/trial.json"));
  if (!text) return null;
  try {
    const t = JSON.parse(text) as { to?: string; version?: string; status?: string; reason?: string };
    if ((t.to !== "A" && t.to !== "B") || !["pending", "trying", "failed"].includes(String(t.status)))
      return null;
    return {
      to: t.to,
      version: String(t.version ?? "").slice(0, 128),
      status: t.status as "pending" | "trying" | "failed",
      ...(t.reason ? { reason: String(t.reason).slice(0, 2048) } : {}),
    };
  } catch {
    return null;
  }
}

/** Where to read from: `root` for fixture trees in tests, `init` for the slots' builds. */
export interface OsFactsSource {
  root?: string;
  init?: InitClient;
}

// PID 1 mounts both slot partitions to answer /os/status: asked again only when a boot or an
// upgrade (a new line in the history) may have changed the answer.
const statusCache = new Map<string, { key: string; status: InitOsStatus | undefined }>();

async function slotStatus(root: string, init: InitClient | undefined, key: string) {
  if (!init) return undefined;
  const cached = statusCache.get(root);
  if (cached && cached.key === key) return cached.status;
  const status = await init.status().catch(() => undefined);
  statusCache.set(root, { key, status });
  return status;
}

/**
 * The CorralOS facts of this host, or null on another system. Cheap enough for every ping: small
 * files, and PID 1's status only after a boot or an upgrade.
 */
export async function readCorralOs(source: OsFactsSource = {}): Promise<CorralOsFacts | null> {
  const root = source.root ?? "/";
  const release = readHostOsRelease(root);
  if (release.ID !== "corralos") return null;
  const bootId = (readText(join(root, "proc/sys/kernel/random/boot_id")) ?? "").trim().slice(0, 64);
  const cmdline = readText(join(root, "proc/cmdline")) ?? "";
  const booted = /(?:^|\s)corral\.slot=([AB])(?:\s|$)/.exec(cmdline)?.[1] as "A" | "B" | undefined;
  let historySize = 0;
  try {
    historySize = statSync(join(root, "var/lib/corral/os/boot-history.jsonl")).size;
  } catch {}
  const status = await slotStatus(root, source.init ?? localInitClient(root), `${bootId}/${historySize}`);
  const slot = status?.booted ?? booted ?? null;
  const other = slot === "A" ? "B" : slot === "B" ? "A" : null;
  return {
    version: (status?.running ?? release.VERSION_ID ?? "unknown").slice(0, 128),
    slot,
    bootId,
    installed: status?.installed ?? slot !== null,
    otherSlot: other
      ? { slot: other, version: status?.slots?.[other]?.version?.slice(0, 128) ?? null }
      : null,
    trial: readTrial(root),
    lastBoot: lastOutcome(root),
  };
}
