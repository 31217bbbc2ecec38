/**
 * Benchmark 2: authenticated API reads under load, against a `Bun.serve` hello world measured with the
 * same load tool, the same settings and in the same run.
 *
 * - Server: bench/fixtures/seeded-server.ts in its own process (in-memory store, one host and 100
 *   container rows seeded straight into the store), admin key over HTTP Basic on every request.
 * - Baseline: bench/fixtures/hello.ts in its own process.
 * - Load: wrk (`wrk -t1 -c<conns> -d<secs>s`), a separate process. Each round measures hello world,
 *   `GET /v2-beta/projects/<pid>/containers/<id>` and `GET /v2-beta/projects/<pid>/containers`
 *   (100 rows, the default page), in rotating order, each after a short warm-up.
 *
 * Targets: GET one container >= 0.25x hello world's req/s; list of 100 >= 0.05x (medians of rounds).
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/api-reads.ts [rounds=5] [secs=10] [conns=50]`
 * Needs wrk: installed here with `apt-get install -y wrk` when missing (Debian, as root).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  basic,
  benchAdminKey,
  bunPath,
  fmt,
  freePort,
  machineLine,
  median,
  repoRoot,
  revision,
  sleep,
  startLoadMonitor,
  waitForUrl,
} from "./lib/common.ts";

const load = startLoadMonitor();
const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 10);
const conns = Number(process.argv[4] ?? 50);

/** Makes sure wrk is on PATH, installing the Debian package when it is not (idempotent). */
function ensureWrk(): void {
  if (spawnSync("wrk", ["--version"]).error === undefined) return;
  console.error("wrk not found: installing it with apt-get install -y wrk");
  const r = spawnSync("sh", ["-c", "apt-get install -y wrk || (apt-get update && apt-get install -y wrk)"], {
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error("could not install wrk; install it with `apt-get install -y wrk`");
}

/** Runs wrk against `url` and returns requests/s, after checking every answer was a 2xx. */
function wrk(url: string, secs: number, headers: string[] = []): { rps: number; p99: string } {
  const args = ["-t1", `-c${conns}`, `-d${secs}s`, "--latency", ...headers.flatMap((h) => ["-H", h]), url];
  const out = execFileSync("wrk", args, { encoding: "utf8" });
  if (/Non-2xx or 3xx responses/.test(out) || /Socket errors/.test(out))
    throw new Error(`wrk saw errors against ${url}:\n${out}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? "?";
  return { rps, p99 };
}

ensureWrk();
const key = benchAdminKey();
const helloPort = freePort();
const apiPort = freePort();
const hello = Bun.spawn([bunPath, "bench/fixtures/hello.ts", String(helloPort)], {
  cwd: repoRoot,
  stdout: "ignore",
  stderr: "inherit",
});
const api = Bun.spawn([bunPath, "bench/fixtures/seeded-server.ts", String(apiPort)], {
  cwd: repoRoot,
  stdout: "pipe",
  stderr: "ignore", // the server's request-independent logs only; nothing per request
  env: { ...process.env, CORRAL_ADMIN_ACCESS_KEY: key.access, CORRAL_ADMIN_SECRET_KEY: key.secret },
});

try {
  const reader = api.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("seeded server exited before it was ready");
    text += new TextDecoder().decode(value);
  }
  const seeded = JSON.parse(text.split("\n")[0]!) as { url: string; projectId: string; containerId: string };
  await waitForUrl(`http://127.0.0.1:${helloPort}/`);
  const auth = `Authorization: ${basic(key.access, key.secret)}`;
  const helloUrl = `http://127.0.0.1:${helloPort}/`;
  const oneUrl = `${seeded.url}/v2-beta/projects/${seeded.projectId}/containers/${seeded.containerId}`;
  const listUrl = `${seeded.url}/v2-beta/projects/${seeded.projectId}/containers`;

  // Sanity: the reads answer 200 with the expected content.
  const headers = { Authorization: basic(key.access, key.secret) };
  const one = (await (await fetch(oneUrl, { headers })).json()) as { id?: string };
  const list = (await (await fetch(listUrl, { headers })).json()) as { data?: unknown[] };
  const listBytes = (await (await fetch(listUrl, { headers })).arrayBuffer()).byteLength;
  const oneBytes = (await (await fetch(oneUrl, { headers })).arrayBuffer()).byteLength;
  if (one.id !== seeded.containerId || list.data?.length !== 100)
    throw new Error(`unexpected answers: one ${one.id}, list of ${list.data?.length}`);

  const targets = [
    { name: "hello", url: helloUrl, headers: [] as string[] },
    { name: "get", url: oneUrl, headers: [auth] },
    { name: "list", url: listUrl, headers: [auth] },
  ];
  const results: Record<string, number[]> = { hello: [], get: [], list: [] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!;
      wrk(t.url, 2, t.headers); // warm-up (JIT, connection set-up)
      await sleep(300);
      const res = wrk(t.url, seconds, t.headers);
      results[t.name]!.push(res.rps);
      process.stderr.write(`round ${r + 1}/${rounds} ${t.name}: ${fmt(res.rps, 0)} req/s (p99 ${res.p99})\n`);
    }
  }
  const h = median(results.hello!);
  const g = median(results.get!);
  const l = median(results.list!);
  const wrkVersion = /wrk [^\s]+/.exec(spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout)?.[0] ?? "wrk";
  console.log(
    `# authenticated API reads, ${rounds} rounds x ${seconds} s, ${wrkVersion} -t1 -c${conns}, ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  const all = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(", ");
  console.log(`baseline Bun.serve hello world: median ${fmt(h, 0)} req/s [${all(results.hello!)}]`);
  console.log(`GET one container (${oneBytes} B): median ${fmt(g, 0)} req/s [${all(results.get!)}]`);
  console.log(
    `GET list of 100 containers (${listBytes} B): median ${fmt(l, 0)} req/s [${all(results.list!)}]`,
  );
  console.log(`ratio get/hello: ${fmt(g / h, 3)} (target >= 0.25: ${g / h >= 0.25 ? "MET" : "MISSED"})`);
  console.log(`ratio list/hello: ${fmt(l / h, 3)} (target >= 0.05: ${l / h >= 0.05 ? "MET" : "MISSED"})`);
} finally {
  hello.kill();
  api.kill();
  await Promise.all([hello.exited, api.exited]);
}
