/**
 * Authorization cost of a list: `GET /v2-beta/containers` (100 rows, the default page) by a person
 * who is a `member` of 50 environments (an account API key; the list is narrowed to those 50) against
 * the admin (no narrowing), in the same run against the same server.
 *
 * - Server: bench/fixtures/authz-server.ts in its own process (in-memory store, 50 environments, 100
 *   container rows two per environment).
 * - Client: this process, one request at a time, admin and member alternating in blocks of 50 so load
 *   changes hit both alike. Two cases: the same URL again and again (the page cache answers, as for a
 *   UI polling a list), and a URL made unique per request with a filter that matches every row
 *   (`name_ne=<random>`), so every answer is built from the store.
 *
 * Target (issue 14): member p50 / admin p50 <= 1.2.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/authz.ts [rounds=5] [requests=2000]`
 */
import {
  basic,
  benchAdminKey,
  bunPath,
  fmt,
  freePort,
  machineLine,
  median,
  quantile,
  repoRoot,
  revision,
  startLoadMonitor,
} from "./lib/common.ts";

const load = startLoadMonitor();
const rounds = Number(process.argv[2] ?? 5);
const requests = Number(process.argv[3] ?? 2000);
const key = benchAdminKey();
const apiPort = freePort();
const api = Bun.spawn([bunPath, "bench/fixtures/authz-server.ts", String(apiPort)], {
  cwd: repoRoot,
  stdout: "pipe",
  stderr: "ignore",
  env: { ...process.env, CORRAL_ADMIN_ACCESS_KEY: key.access, CORRAL_ADMIN_SECRET_KEY: key.secret },
});

try {
  const reader = api.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("authz server exited before it was ready");
    text += new TextDecoder().decode(value);
  }
  const seeded = JSON.parse(text.split("\n")[0]!) as { url: string; userAccess: string; userSecret: string };
  const who = {
    admin: { Authorization: basic(key.access, key.secret) },
    member: { Authorization: basic(seeded.userAccess, seeded.userSecret) },
  };
  const listUrl = `${seeded.url}/v2-beta/containers`;

  // Sanity: both see the same 100 rows.
  for (const [name, headers] of Object.entries(who)) {
    const list = (await (await fetch(listUrl, { headers })).json()) as { data?: unknown[] };
    if (list.data?.length !== 100) throw new Error(`${name} listed ${list.data?.length} containers, not 100`);
  }

  let seq = 0;
  const urlFor = (fresh: boolean) => (fresh ? `${listUrl}?name_ne=x${seq++}` : listUrl);
  async function timed(headers: Record<string, string>, fresh: boolean): Promise<number> {
    const t0 = performance.now();
    const res = await fetch(urlFor(fresh), { headers });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    return ms;
  }

  const lines: string[] = [];
  for (const fresh of [false, true]) {
    const p50s = { admin: [] as number[], member: [] as number[] };
    const all = { admin: [] as number[], member: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 200; i++) await timed(i % 2 ? who.admin : who.member, fresh); // warm-up
      const times = { admin: [] as number[], member: [] as number[] };
      for (let i = 0; i < requests; i += 100) {
        for (const name of (i / 100) % 2 ? (["member", "admin"] as const) : (["admin", "member"] as const))
          for (let k = 0; k < 50; k++) times[name].push(await timed(who[name], fresh));
      }
      for (const name of ["admin", "member"] as const) {
        p50s[name].push(median(times[name]));
        all[name].push(...times[name]);
      }
      process.stderr.write(
        `${fresh ? "built" : "cached"} round ${r + 1}/${rounds}: admin p50 ${fmt(median(times.admin), 3)} ms, member p50 ${fmt(median(times.member), 3)} ms\n`,
      );
    }
    const a = median(p50s.admin);
    const m = median(p50s.member);
    const list = (xs: number[]) => xs.map((x) => fmt(x, 3)).join(", ");
    lines.push(
      `${fresh ? "built page (unique URL per request)" : "cached page (same URL)"}:`,
      `  admin  p50 ${fmt(a, 3)} ms [rounds: ${list(p50s.admin)}], p99 ${fmt(quantile(all.admin, 0.99), 3)} ms`,
      `  member p50 ${fmt(m, 3)} ms [rounds: ${list(p50s.member)}], p99 ${fmt(quantile(all.member, 0.99), 3)} ms`,
      `  ratio member/admin p50: ${fmt(m / a, 3)} (target <= 1.2: ${m / a <= 1.2 ? "MET" : "MISSED"})`,
    );
  }
  console.log(
    `# GET /v2-beta/containers (100 rows): member of 50 environments vs admin, ${rounds} rounds x ${requests} requests each, ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  for (const l of lines) console.log(l);
} finally {
  api.kill();
  await api.exited;
}
