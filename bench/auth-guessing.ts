/**
 * Benchmark: how many guesses of a secret one client gets judged per second (issue 12, finding 8),
 * and what judging one costs the server.
 *
 * - Server: `bin/corral.ts server` of this tree (and, with `--before <commit>`, of that commit too,
 *   extracted with `git archive` into a temporary folder beside this tree's node_modules), each in its
 *   own process with a temporary data folder and the admin key from the environment.
 * - Guessing: wrk -t1 -c<conns> from 127.0.0.1 with a Lua script that sends the admin's access key
 *   with a different wrong secret on each request and counts the answers by status. A guess is
 *   judged when the answer says whether it was right (401 or 200); a 429 refuses it unexamined.
 * - Baseline, same server, same run: the same wrk with the right key (GET /v2-beta), the rate at which
 *   the server answers a client it lets in, so a low guess rate is the limit and not a slow server.
 *   Measured before each guessing round, because the guessing address is refused while it waits.
 * - Verify cost, in this process: median time of one check of a salted HMAC-SHA-256 digest (what the
 *   server stores now), of the unsalted SHA-256 (before), and of scrypt with light and usual
 *   parameters (N=2^10 and 2^14, r=8), the alternative that was not chosen.
 *
 * Run: `bun bench/auth-guessing.ts [rounds=3] [secs=10] [conns=16] [--before 1ef4044]`
 * Needs wrk (`apt-get install -y wrk`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes, scryptSync } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSecret, hashSecret, newKeyPair } from "../server/src/auth/keys.ts";
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

const args = process.argv.slice(2);
const beforeAt = args.indexOf("--before");
const before = beforeAt >= 0 ? args.splice(beforeAt, 2)[1] : undefined;
const rounds = Number(args[0] ?? 3);
const seconds = Number(args[1] ?? 10);
const conns = Number(args[2] ?? 16);
const load = startLoadMonitor();
const scratch = mkdtempSync(join(tmpdir(), "corral-auth-bench-"));

/** Builds a runnable tree of `commit`: its files, and this tree's node_modules (its own packages linked to it). */
function treeOf(commit: string): string {
  const root = join(scratch, `tree-${commit}`);
  mkdirSync(root);
  execFileSync("sh", ["-c", `git -C "${repoRoot}" archive "${commit}" | tar -x -C "${root}"`]);
  const modules = join(root, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(repoRoot, "node_modules"))) {
    // The workspace packages are relative links (../../server): copied as links, they name the old tree's.
    if (name === "@corral")
      cpSync(join(repoRoot, "node_modules", name), join(modules, name), {
        verbatimSymlinks: true,
        recursive: true,
      });
    else symlinkSync(join(repoRoot, "node_modules", name), join(modules, name));
  }
  return root;
}

/** The wrk Lua script: cycles through wrong Authorization headers and counts answers by status. */
function guessScript(access: string): string {
  const headers = Array.from({ length: 2000 }, () => basic(access, newKeyPair().secretValue));
  const path = join(scratch, "guess.lua");
  writeFileSync(
    path,
    `local guesses = { ${headers.map((h) => `"${h}"`).join(",\n")} }
local n = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) judged = 0; limited = 0; other = 0 end
function request()
  n = n + 1
  return wrk.format("GET", "/v2-beta", { Authorization = guesses[(n % #guesses) + 1] })
end
function response(status, hdrs, body)
  if status == 401 or status == 200 then judged = judged + 1
  elseif status == 429 then limited = limited + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("COUNTS %d %d %d\\n", t:get("judged"), t:get("limited"), t:get("other")))
  end
end
`,
  );
  return path;
}

/** Runs wrk; returns req/s and, with the guessing script, the answers counted by kind. */
function wrk(
  url: string,
  secs: number,
  extra: string[],
): { rps: number; judged: number; limited: number; other: number } {
  const out = execFileSync("wrk", ["-t1", `-c${conns}`, `-d${secs}s`, ...extra, url], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const counts = /COUNTS (\d+) (\d+) (\d+)/.exec(out);
  return {
    rps,
    judged: Number(counts?.[1] ?? 0),
    limited: Number(counts?.[2] ?? 0),
    other: Number(counts?.[3] ?? 0),
  };
}

/** Median microseconds of `fn` over `runs` batches of `n` calls. */
function micros(fn: () => void, n: number, runs = 5): number {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t) * 1000) / n);
  }
  return median(samples);
}

if (spawnSync("wrk", ["--version"]).error !== undefined) throw new Error("needs wrk: apt-get install -y wrk");
const key = benchAdminKey();
const script = guessScript(key.access);
const trees = [
  ...(before ? [{ name: `before (${before})`, root: treeOf(before) }] : []),
  { name: "now", root: repoRoot },
];
const results = new Map<string, { judged: number[]; limited: number[]; other: number[]; right: number[] }>();
const servers: { name: string; url: string; proc: ReturnType<typeof Bun.spawn> }[] = [];
try {
  for (const tree of trees) {
    const port = freePort();
    const proc = Bun.spawn(
      [
        bunPath,
        "bin/corral.ts",
        "server",
        "--port",
        String(port),
        "--https-port",
        "0",
        "--listen",
        "127.0.0.1",
        "--data",
        join(scratch, `data-${port}`),
      ],
      {
        cwd: tree.root,
        stdout: "ignore",
        stderr: "ignore",
        env: { ...process.env, CORRAL_ADMIN_ACCESS_KEY: key.access, CORRAL_ADMIN_SECRET_KEY: key.secret },
      },
    );
    servers.push({ name: tree.name, url: `http://127.0.0.1:${port}/v2-beta`, proc });
    results.set(tree.name, { judged: [], limited: [], other: [], right: [] });
    await waitForUrl(`http://127.0.0.1:${port}/ping`);
  }
  const right = ["-H", `Authorization: ${basic(key.access, key.secret)}`];
  for (const s of servers) {
    const sanity = await fetch(s.url, { headers: { Authorization: basic(key.access, key.secret) } });
    if (sanity.status !== 200) throw new Error(`${s.name}: the admin key got ${sanity.status}`);
    wrk(s.url, 2, right); // warm-up (JIT, connections)
  }
  for (let i = 0; i < rounds; i++) {
    // The servers take turns going first, so a change in the machine's load falls on both.
    for (let k = 0; k < servers.length; k++) {
      const s = servers[(i + k) % servers.length]!;
      const r = results.get(s.name)!;
      const baseline = wrk(s.url, 3, right);
      const guess = wrk(s.url, seconds, ["-s", script]);
      r.right.push(baseline.rps);
      r.judged.push(guess.judged / seconds);
      r.limited.push(guess.limited / seconds);
      r.other.push(guess.other);
      process.stderr.write(
        `${s.name} round ${i + 1}/${rounds}: right key ${fmt(baseline.rps, 0)} req/s; guesses judged ${fmt(guess.judged / seconds, 1)}/s, refused (429) ${fmt(guess.limited / seconds, 0)}/s, other ${guess.other}\n`,
      );
      // Let the address's bucket fill again, so every round starts alike.
      await sleep(5000);
    }
  }

  const secret = newKeyPair().secretValue;
  const salted = hashSecret(secret);
  const legacy = createHash("sha256").update(secret).digest("hex");
  const salt = randomBytes(16);
  const cost = {
    salted: micros(() => checkSecret(secret, salted), 20_000),
    legacy: micros(() => checkSecret(secret, legacy), 20_000),
    scryptLight: micros(() => scryptSync(secret, salt, 32, { N: 1024, r: 8, p: 1 }), 20),
    scryptUsual: micros(
      () => scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }),
      5,
    ),
  };

  const wrkVersion = /wrk [^\s]+/.exec(spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout)?.[0] ?? "wrk";
  console.log(
    `# secret guessing from one client, ${rounds} rounds x ${seconds} s, ${wrkVersion} -t1 -c${conns}, ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  const all = (xs: number[], d = 0) => xs.map((x) => fmt(x, d)).join(", ");
  for (const [name, r] of results) {
    console.log(
      `${name}: guesses judged median ${fmt(median(r.judged), 1)}/s [${all(r.judged, 1)}], refused (429) median ${fmt(median(r.limited), 0)}/s [${all(r.limited)}], other answers ${all(r.other)}; right key (baseline) median ${fmt(median(r.right), 0)} req/s [${all(r.right)}]`,
    );
  }
  console.log(
    `verify one secret (median µs): salted HMAC-SHA-256 ${fmt(cost.salted, 2)}, unsalted SHA-256 ${fmt(cost.legacy, 2)}, scrypt N=2^10 r=8 ${fmt(cost.scryptLight, 0)}, scrypt N=2^14 r=8 ${fmt(cost.scryptUsual, 0)}`,
  );
} finally {
  for (const s of servers) s.proc.kill();
  await Promise.all(servers.map((s) => s.proc.exited));
  rmSync(scratch, { recursive: true, force: true });
}
