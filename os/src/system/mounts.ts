import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "./host.ts";

/** Mount points already mounted, from /proc/mounts. */
export function mountedPoints(host: Host): Set<string> {
  try {
    return new Set(
      readFileSync(join(host.root, "proc/mounts"), "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? ""),
    );
  } catch {
    return new Set();
  }
}

/** One mount(8) call: fstype, source, target, options. */
export type MountOp = [fstype: string, source: string, target: string, options: string];

/**
 * The cgroup mounts: v2 unified when the kernel offers cgroup2 (and no v1 hierarchy is forced), else
 * a tmpfs with one v1 hierarchy per enabled controller of /proc/cgroups, cpu+cpuacct and
 * net_cls+net_prio co-mounted as Docker and RancherOS expect.
 */
export function cgroupMounts(filesystems: string, cgroups: string): MountOp[] {
  if (/\bcgroup2\b/.test(filesystems)) return [["cgroup2", "cgroup2", "/sys/fs/cgroup", "nsdelegate"]];
  const ops: MountOp[] = [["tmpfs", "cgroup", "/sys/fs/cgroup", "mode=755"]];
  const controllers = cgroups
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === "1")
    .map((f) => f[0]!);
  const groups = [
    ["cpu", "cpuacct"],
    ["net_cls", "net_prio"],
  ];
  const done = new Set<string>();
  for (const c of controllers) {
    if (done.has(c)) continue;
    const group = groups.find((g) => g.includes(c))?.filter((x) => controllers.includes(x)) ?? [c];
    for (const x of group) done.add(x);
    const name = group.join(",");
    ops.push(["cgroup", "cgroup", `/sys/fs/cgroup/${name}`, name]);
  }
  return ops;
}

/** The early mounts: /dev/pts, /dev/shm, mqueue, /run, then cgroups; /proc /sys /dev come from /init. */
export function earlyMounts(host: Host): MountOp[] {
  const read = (p: string) => {
    try {
      return readFileSync(join(host.root, p), "utf8");
    } catch {
      return "";
    }
  };
  return [
    ["devpts", "devpts", "/dev/pts", "newinstance,ptmxmode=0666,mode=620,gid=5"],
    ["tmpfs", "shm", "/dev/shm", "mode=1777,size=64m"],
    ["mqueue", "mqueue", "/dev/mqueue", ""],
    ["tmpfs", "run", "/run", "mode=755"],
    ["tmpfs", "tmp", "/tmp", "mode=1777"],
    ...cgroupMounts(read("proc/filesystems"), read("proc/cgroups")),
  ];
}

/** Mounts each op not mounted yet, creating the mount point; /var/run becomes a link to /run. */
export async function doMounts(host: Host, ops: MountOp[]): Promise<string[]> {
  const done: string[] = [];
  for (const [fstype, source, target, options] of ops) {
    if (mountedPoints(host).has(target)) continue;
    mkdirSync(join(host.root, target), { recursive: true });
    await host.run("mount", ["-t", fstype, ...(options ? ["-o", options] : []), source, target]);
    done.push(target);
  }
  return done;
}
