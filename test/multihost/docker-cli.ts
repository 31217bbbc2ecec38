/**
 * The machine's docker CLI as the multi-host harness uses it, and the sweep that removes what a
 * crashed test run left behind. Every resource the harness creates is named `corral-test-*` and
 * labelled with the pid of the process that owns it, so a sweep removes only resources whose owner
 * is gone: another test process running at the same time keeps its cluster.
 */

import { readFileSync, readlinkSync } from "node:fs";

/** Output of a finished command. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Name prefix of every container, network and volume the harness creates. */
export const resourcePrefix = "corral-test-";
/** Label carrying `<pid>@<pid namespace>` of the process that created a resource. */
export const ownerLabel = "corral-test.owner";

const pidNamespace = readlinkSync("/proc/self/ns/pid").replace(/\D/g, "");

/** The value of ownerLabel for resources this process creates. */
export const ownerValue = `${process.pid}@${pidNamespace}`;

/** Runs a command and waits for it; never throws on a non-zero exit. */
export async function run(argv: string[], timeoutMs = 120_000): Promise<ExecResult> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: timeoutMs });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout: stdout.trim(), stderr: stderr.trim(), exitCode };
}

/** Runs the machine's docker CLI. */
export function docker(args: string[], timeoutMs?: number): Promise<ExecResult> {
  return run(["docker", ...args], timeoutMs);
}

/** Runs the docker CLI and throws with its stderr when it fails; returns stdout. */
export async function dockerOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await docker(args, timeoutMs);
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

function ownerAlive(owner: string): boolean {
  const [pidText, namespace] = owner.split("@");
  const pid = Number(pidText);
  // No label (made by hand) or a malformed one: nobody owns it any more.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A process of another pid namespace (another container) cannot be checked from here: keep it.
  if (namespace !== pidNamespace) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    // A killed process that nobody reaped yet still answers signal 0: its state letter is Z.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** `name owner` lines of one kind of docker resource whose name starts with the prefix. */
async function listOwned(kind: "container" | "network" | "volume"): Promise<Array<[string, string]>> {
  const format = `{{.Name${kind === "container" ? "s" : ""}}} {{.Label "${ownerLabel}"}}`;
  const args =
    kind === "container"
      ? ["ps", "-a", "--filter", `name=${resourcePrefix}`, "--format", format]
      : [kind, "ls", "--filter", `name=${resourcePrefix}`, "--format", format];
  const out = await dockerOk(args);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ") as [string, string])
    .filter(([name]) => name.startsWith(resourcePrefix));
}

/**
 * Removes `corral-test-*` containers (with their volumes), networks and volumes whose owning process
 * no longer runs. Containers go first: a network or volume in use cannot be removed.
 */
export async function sweepStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of ["container", "network", "volume"] as const) {
    const stale = (await listOwned(kind)).filter(([, owner]) => !ownerAlive(owner ?? "")).map(([n]) => n);
    if (stale.length === 0) continue;
    const rm = kind === "container" ? ["rm", "-fv"] : [kind, "rm", ...(kind === "volume" ? ["-f"] : [])];
    await docker([...rm, ...stale]);
    removed.push(...stale);
  }
  return removed;
}
