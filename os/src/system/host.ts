import { execa } from "execa";

/**
 * The side effects of boot, behind one interface: `root` prefixes every path PID 1 reads or writes,
 * and `run` runs programs (busybox mount, ip, udhcpc, modprobe, mkfs.ext4). Tests pass a temp root
 * and a recording `run`.
 */
export interface Host {
  root: string;
  run(file: string, args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
}

/** The real host: `/`, programs through execa (never a shell), failures carry stderr. */
export function realHost(root = "/"): Host {
  return {
    root,
    async run(file, args, options = {}) {
      const r = await execa(file, args, {
        input: options.input,
        timeout: options.timeoutMs ?? 60_000,
        reject: false,
      });
      if (r.exitCode !== 0 || r.failed) {
        throw new Error(`${file} ${args.join(" ")} failed: ${(r.stderr || r.shortMessage || "").trim()}`);
      }
      return r.stdout;
    },
  };
}
