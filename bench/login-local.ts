/**
 * Benchmark: a local password login over HTTP (`POST /v2-beta/token {code: "admin:<password>"}`),
 * against the bare password check it is built on.
 *
 * - Server: `startServer` of this tree in this process (in-memory store, plain HTTP on a free
 *   loopback port), the admin's password set with CORRAL_ADMIN_PASSWORD.
 * - Login: `rounds` rounds of `n` sequential logins with fetch; each answer must be 201. A login
 *   is: JSON body read, rate-limit check, account lookup, argon2id verify (off the event loop),
 *   session row and audit row in one transaction, the token answer with its cookies.
 * - Baseline, same process, same run, rounds interleaved with the logins': `Bun.password.verify` of
 *   the same password against the same stored hash (argon2id, 19 MiB, 2 passes), `n` times in a row.
 * Prints p50 and p99 of each (all rounds pooled) and the ratios login / baseline.
 *
 * Run: `bun bench/login-local.ts [n=200] [rounds=3]`
 */
import { startServer } from "@corral/server";
import { fmt, machineLine, quantile, report, revision, startLoadMonitor } from "./lib/common.ts";

const n = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
const password = "bench-password-0123456789";
const load = startLoadMonitor();

const server = startServer({
  port: 0,
  hostname: "127.0.0.1",
  dataDir: null,
  env: { CORRAL_ADMIN_PASSWORD: password },
  // Every login here succeeds; the limit is not what is measured.
  loginFailureLimits: { perSecond: 1000, burst: 1000 },
});
const adminRow = server.store.getByPublicId("account", server.admin.adminAccountId)!;
const hash = server.store.secretOf(adminRow.id)!;
const body = JSON.stringify({ code: `admin:${password}` });

async function loginOnce(): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${server.url}/v2-beta/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  const ms = performance.now() - t;
  if (res.status !== 201) throw new Error(`login answered ${res.status}`);
  return ms;
}

async function verifyOnce(): Promise<number> {
  const t = performance.now();
  const ok = await Bun.password.verify(password, hash);
  const ms = performance.now() - t;
  if (!ok) throw new Error("the stored hash does not match");
  return ms;
}

const logins: number[] = [];
const verifies: number[] = [];
try {
  // Warm-up: the first hash check and the first HTTP request pay one-time costs.
  await loginOnce();
  await verifyOnce();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) verifies.push(await verifyOnce());
    for (let i = 0; i < n; i++) logins.push(await loginOnce());
  }
} finally {
  await server.stop();
}

const p = (v: number[], q: number) => quantile(v, q);
report([
  `login-local: ${n} logins x ${rounds} rounds; ${revision()}`,
  machineLine(),
  load.summary(),
  `baseline Bun.password.verify (argon2id m=19456 KiB t=2): p50 ${fmt(p(verifies, 0.5), 2)} ms, p99 ${fmt(p(verifies, 0.99), 2)} ms`,
  `login over HTTP (POST /v2-beta/token, 201):          p50 ${fmt(p(logins, 0.5), 2)} ms, p99 ${fmt(p(logins, 0.99), 2)} ms`,
  `ratio login / baseline: p50 ${fmt(p(logins, 0.5) / p(verifies, 0.5), 2)}, p99 ${fmt(p(logins, 0.99) / p(verifies, 0.99), 2)}`,
]);
