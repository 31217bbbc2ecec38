/**
 * Helpers of the HTTPS probes (finding 11 of issue 12): a real server with HTTPS on this machine's
 * addresses, the address to probe from, temporary folders, and the agent's log while it runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@corral/server";
import { basic, fastTimings } from "../api/harness.ts";

/** An address of this machine that is not loopback (the server's certificate names it). */
export const outside: string = (() => {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  if (!found) throw new Error("this machine has no non-loopback IPv4 address to probe from");
  return found;
})();

/** The admin key every probe server is started with. */
export const admin = { accessKey: "TLSPROBEADMIN", secretKey: `s${crypto.randomUUID()}` };
/** Its HTTP Basic header. */
export const auth = basic(admin.accessKey, admin.secretKey);

const dirs: string[] = [];
/** A temporary folder, removed by `removeTempDirs`. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `corral-tls-${prefix}-`));
  dirs.push(d);
  return d;
}
/** Removes every folder `tempDir` made. */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A server on every address with HTTPS (a generated CA unless `extra` says otherwise). */
export function serve(
  dataDir: string | null,
  extra: Partial<Parameters<typeof startServer>[0]> = {},
): RunningServer {
  return startServer({
    port: 0,
    hostname: "0.0.0.0",
    dataDir,
    timings: fastTimings,
    env: { CORRAL_ADMIN_ACCESS_KEY: admin.accessKey, CORRAL_ADMIN_SECRET_KEY: admin.secretKey },
    https: { port: 0 },
    ...extra,
  });
}

/** The port of a URL. */
export const portOf = (url: string): number => Number(new URL(url).port);

/** A response's JSON, read field by field by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
export const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

/** The Default environment's registration token and its command, read as the admin. */
export async function defaultToken(server: RunningServer): Promise<{ token: string; command: string }> {
  const r = await fetch(
    `${server.url}/v2-beta/projects/${server.admin.defaultProjectId}/registrationtokens`,
    {
      headers: { Authorization: auth },
    },
  );
  const t = (await json(r)).data[0];
  return { token: t.token, command: t.command };
}

/** Collects what the agent logs (to stderr) while `fn` runs. */
export async function capturingStderr<T>(fn: (log: () => string) => Promise<T>): Promise<T> {
  const original = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return await fn(() => text);
  } finally {
    process.stderr.write = original;
  }
}
