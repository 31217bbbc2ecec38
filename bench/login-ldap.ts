/**
 * LDAP login: p50/p99 of `provider.login(user, password)` through the `openldapconfig` provider
 * against a local slapd (server/testing/slapd.ts: the test directory, on loopback), beside a bare
 * ldapts bind of the same user in the same run (new Client, bind, unbind: the least a login by bind
 * can cost). A login is: search the user with the service account, bind as the user (pooled
 * connection), search the user's groups; with `--nested`, also the groups of those groups.
 *
 * Runs `runs` rounds of `n` logins each, alternating which side goes first; every round reports
 * p50/p99 of both, and the summary gives the medians over rounds and their ratio. Target: <= 1.5.
 *
 * Run (as root, slapd installed): `bun bench/login-ldap.ts [n=200] [runs=5] [--nested]`
 */
import { Client } from "ldapts";
import { openLdapModule } from "../server/src/auth/ldap/modules.ts";
import { openLdapTestConfig } from "../server/testing/ldap-configs.ts";
import { startSlapd } from "../server/testing/slapd.ts";
import { seedUsers } from "../server/testing/slapd-seed.ts";
import { fmt, machineLine, median, quantile, report, revision, startLoadMonitor } from "./lib/common.ts";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const n = Number(args[0] ?? 200);
const runs = Number(args[1] ?? 5);
const nested = process.argv.includes("--nested");
const load = startLoadMonitor();
const user = seedUsers.alice;

const slapd = await startSlapd();
try {
  const provider = openLdapModule.create(openLdapTestConfig(slapd, { nestedGroupMembershipEnabled: nested }));
  if (provider.kind !== "password") throw new Error("an LDAP provider checks passwords");
  const url = `ldap://127.0.0.1:${slapd.port}`;

  const viaProvider = async () => {
    const r = await provider.login(user.login, user.password);
    if (r.user.externalId !== user.dn || r.groups.length === 0) throw new Error("unexpected login result");
  };
  const bareBind = async () => {
    const client = new Client({ url });
    await client.bind(user.dn, user.password);
    await client.unbind();
  };
  const time = async (fn: () => Promise<void>, count: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
    return out;
  };

  // Warm-up: JIT, slapd's caches, the provider's service and bind connections.
  await time(viaProvider, 20);
  await time(bareBind, 20);

  const rows: string[] = [];
  const p50s = { provider: [] as number[], bare: [] as number[] };
  const p99s = { provider: [] as number[], bare: [] as number[] };
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? (["provider", "bare"] as const) : (["bare", "provider"] as const);
    const samples: Record<string, number[]> = {};
    for (const side of order) samples[side] = await time(side === "provider" ? viaProvider : bareBind, n);
    const p = samples.provider!;
    const b = samples.bare!;
    p50s.provider.push(quantile(p, 0.5));
    p50s.bare.push(quantile(b, 0.5));
    p99s.provider.push(quantile(p, 0.99));
    p99s.bare.push(quantile(b, 0.99));
    rows.push(
      `| ${r + 1} | ${order[0]} | ${fmt(quantile(p, 0.5), 2)} | ${fmt(quantile(p, 0.99), 2)} | ${fmt(quantile(b, 0.5), 2)} | ${fmt(quantile(b, 0.99), 2)} | ${fmt(quantile(p, 0.5) / quantile(b, 0.5), 2)} |`,
    );
  }
  await provider.close();
  const ratio50 = median(p50s.provider) / median(p50s.bare);
  const ratio99 = median(p99s.provider) / median(p99s.bare);
  report([
    `LDAP login (${nested ? "nested groups on" : "direct groups"}), ${n} logins per round, ${runs} rounds`,
    machineLine(),
    revision(),
    load.summary(),
    "",
    "| round | first | provider p50 ms | provider p99 ms | bare bind p50 ms | bare bind p99 ms | p50 ratio |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `median p50: provider ${fmt(median(p50s.provider), 2)} ms, bare bind ${fmt(median(p50s.bare), 2)} ms, ratio ${fmt(ratio50, 2)}`,
    `median p99: provider ${fmt(median(p99s.provider), 2)} ms, bare bind ${fmt(median(p99s.bare), 2)} ms, ratio ${fmt(ratio99, 2)}`,
    `target p50 ratio <= 1.5: ${ratio50 <= 1.5 ? "met" : "NOT met"}`,
  ]);
} finally {
  await slapd.stop();
}
