/**
 * Benchmark 3: 1,000 simulated agents connected to one server, each pinging every 5 s.
 *
 * - Server: `bun bin/corral.ts server --port P --data <fresh tmp dir> --listen 127.0.0.1` in its own
 *   process (SQLite on disk, admin key from CORRAL_ADMIN_ACCESS_KEY / _SECRET_KEY).
 * - Simulator (this process): reads the Default environment's registration token with the admin key
 *   (`GET /v2-beta/projects/<pid>/registrationtokens`), registers N hosts (`POST /v2-beta/register`),
 *   opens N agent websockets (`/v2-beta/agent/connect`, each with its own agent key), answers
 *   `welcome` with `hello` (valid host facts, no containers), then sends `ping` frames (facts, no
 *   containers, as the real agent does) every 5 s +-10 % jitter, first ping at a random offset.
 * - Measured: server CPU as utime+stime delta from /proc/<pid>/stat over each window (default 3
 *   windows of 60 s), RSS from /proc/<pid>/status VmRSS (sampled every second; max and end of
 *   window), p99 ping handling from the server's `GET /metrics` (quantiles of the last 10,000 pings,
 *   i.e. the last ~50 s at 200 pings/s). Baseline in the same run: the same server idle with no
 *   agents for one window of `idleSecs` before the agents connect.
 *
 * Targets: server below 25 % of one core and 300 MB RSS; p99 ping handling under 50 ms.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/agents-1000.ts [agents=1000] [windows=3] [windowSecs=60] [idleSecs=20]`
 * Needs ~2 file descriptors per agent in each process: raise `ulimit -n` (e.g. `ulimit -n 8192`) first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  basic,
  benchAdminKey,
  bunPath,
  cpuSeconds,
  fmt,
  freePort,
  machineLine,
  median,
  repoRoot,
  revision,
  rssMiB,
  sleep,
  startLoadMonitor,
  waitForUrl,
} from "./lib/common.ts";

const load = startLoadMonitor();
const agents = Number(process.argv[2] ?? 1000);
const windows = Number(process.argv[3] ?? 3);
const windowSecs = Number(process.argv[4] ?? 60);
const idleSecs = Number(process.argv[5] ?? 20);
const pingMs = 5000;

const key = benchAdminKey();
const admin = basic(key.access, key.secret);
const port = freePort();
const url = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "corral-bench-1000-"));
const server = Bun.spawn(
  [
    bunPath,
    "bin/corral.ts",
    "server",
    "--port",
    String(port),
    "--https-port",
    "0",
    "--data",
    dataDir,
    "--listen",
    "127.0.0.1",
  ],
  {
    cwd: repoRoot,
    stdout: "ignore",
    stderr: "ignore", // one log line per agent connect; not part of what is measured
    env: { ...process.env, CORRAL_ADMIN_ACCESS_KEY: key.access, CORRAL_ADMIN_SECRET_KEY: key.secret },
  },
);

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: { Authorization: admin } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The server's /metrics, parsed into name{labels} -> value. */
async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: admin } });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Measures CPU (% of one core) and RSS of the server over `secs` seconds. */
async function window(secs: number): Promise<{ cpuPct: number; rssMax: number; rssEnd: number }> {
  const c0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  let rssMax = 0;
  for (let i = 0; i < secs; i++) {
    await sleep(1000);
    rssMax = Math.max(rssMax, rssMiB(server.pid));
  }
  const c1 = cpuSeconds(server.pid);
  const elapsed = (performance.now() - t0) / 1000;
  return { cpuPct: ((c1 - c0) / elapsed) * 100, rssMax, rssEnd: rssMiB(server.pid) };
}

const facts = (i: number) => ({
  hostname: `sim-${i}`,
  kernel: "6.1.0-sim",
  os: "Debian GNU/Linux 12 (bookworm)",
  arch: "x64",
  cpuCount: 4,
  cpuModel: "Simulated CPU",
  cpuLoad: Math.random(),
  memoryTotal: 8 * 1024 ** 3,
  memoryUsed: Math.round(2 * 1024 ** 3 * (1 + Math.random())),
  disks: [{ mount: "/", size: 100 * 1024 ** 3, used: 20 * 1024 ** 3 }],
  dockerVersion: "24.0.7",
  ipAddresses: [`10.0.${(i >> 8) & 255}.${i & 255}`],
});

const sockets: WebSocket[] = [];
const timers: ReturnType<typeof setTimeout>[] = [];
let closedUnexpectedly = 0;
let stopping = false;

try {
  await waitForUrl(`${url}/ping`);
  const projects = await getJson<{ data: { id: string; name: string }[] }>("/v2-beta/projects");
  const pid = projects.data.find((p) => p.name === "Default")!.id;
  const tokens = await getJson<{ data: { token: string; state: string }[] }>(
    `/v2-beta/projects/${pid}/registrationtokens`,
  );
  const token = tokens.data.find((t) => t.state === "active")!.token;

  // Baseline: the same server, idle, no agents.
  const idle = await window(idleSecs);

  // Register every host (20 at a time).
  const creds: { accessKey: string; secretKey: string }[] = new Array(agents);
  const t0 = performance.now();
  for (let next = 0; next < agents; ) {
    const batch = [];
    for (let k = 0; k < 20 && next < agents; k++, next++) {
      const i = next;
      batch.push(
        fetch(`${url}/v2-beta/register`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            token,
            hostname: `sim-${i}`,
            uuid: `sim-host-${String(i).padStart(6, "0")}`,
          }),
        }).then(async (res) => {
          if (res.status !== 201) throw new Error(`register ${i}: ${res.status} ${await res.text()}`);
          creds[i] = (await res.json()) as { accessKey: string; secretKey: string };
        }),
      );
    }
    await Promise.all(batch);
  }
  const registerSecs = (performance.now() - t0) / 1000;

  // Connect every agent; each answers welcome with hello, then pings every 5 s with jitter.
  let welcomed = 0;
  const t1 = performance.now();
  for (let i = 0; i < agents; i++) {
    const ws = new WebSocket(`${url.replace("http", "ws")}/v2-beta/agent/connect`, {
      headers: { Authorization: basic(creds[i]!.accessKey, creds[i]!.secretKey) },
    } as unknown as string[]);
    sockets.push(ws);
    let seq = 0;
    const ping = () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: "ping", seq: seq++, facts: facts(i), containers: [] }));
      timers[i] = setTimeout(ping, pingMs * (0.9 + 0.2 * Math.random()));
    };
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as { type: string };
      if (frame.type !== "welcome") return;
      welcomed++;
      ws.send(JSON.stringify({ type: "hello", agentVersion: "bench-sim", facts: facts(i), containers: [] }));
      timers[i] = setTimeout(ping, Math.random() * pingMs);
    };
    ws.onclose = () => {
      if (!stopping) closedUnexpectedly++;
    };
    if (i % 50 === 49) await sleep(20); // do not open 1,000 sockets in the same tick
  }
  while (welcomed < agents) {
    if (performance.now() - t1 > 60_000)
      throw new Error(`only ${welcomed}/${agents} agents welcomed in 60 s`);
    await sleep(100);
  }
  const connectSecs = (performance.now() - t1) / 1000;
  await sleep(10_000); // let every agent's hello and first pings pass

  const results: {
    cpuPct: number;
    rssMax: number;
    rssEnd: number;
    p50: number;
    p99: number;
    connected: number;
    pings: number;
  }[] = [];
  for (let w = 0; w < windows; w++) {
    const m = await window(windowSecs);
    const after = await metrics();
    const r = {
      ...m,
      p50: after.get('corral_ping_handling_ms{quantile="0.5"}') ?? Number.NaN,
      p99: after.get('corral_ping_handling_ms{quantile="0.99"}') ?? Number.NaN,
      connected: after.get("corral_agents_connected") ?? 0,
      pings: after.get('corral_agent_frames_total{kind="ping"}') ?? 0,
    };
    results.push(r);
    process.stderr.write(
      `window ${w + 1}/${windows}: cpu ${fmt(r.cpuPct)} %, rss max ${fmt(r.rssMax)} MiB, ping p50 ${r.p50} ms p99 ${r.p99} ms, connected ${r.connected}, pings ${r.pings}\n`,
    );
  }

  const cpu = median(results.map((r) => r.cpuPct));
  const rss = Math.max(...results.map((r) => r.rssMax));
  const p99 = median(results.map((r) => r.p99));
  const list = (f: (r: (typeof results)[number]) => number, d = 1) =>
    results.map((r) => fmt(f(r), d)).join(", ");
  console.log(
    `# ${agents} simulated agents, ping every ${pingMs} ms, ${windows} x ${windowSecs} s windows, ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  console.log(
    `registered ${agents} hosts in ${fmt(registerSecs)} s; all welcomed ${fmt(connectSecs)} s after the first connect`,
  );
  console.log(
    `baseline idle server (no agents, ${idleSecs} s): cpu ${fmt(idle.cpuPct, 2)} % of one core, rss ${fmt(idle.rssEnd)} MiB`,
  );
  console.log(
    `server cpu % of one core per window: [${list((r) => r.cpuPct, 2)}], median ${fmt(cpu, 2)} % (target < 25: ${cpu < 25 ? "MET" : "MISSED"})`,
  );
  console.log(
    `server rss max MiB per window: [${list((r) => r.rssMax)}], max ${fmt(rss)} MiB (target < 300: ${rss < 300 ? "MET" : "MISSED"}); idle ratio ${fmt(rss / idle.rssEnd, 2)}x`,
  );
  console.log(`ping handling p50 ms per window: [${list((r) => r.p50, 3)}]`);
  console.log(
    `ping handling p99 ms per window: [${list((r) => r.p99, 3)}], median ${fmt(p99, 3)} ms (target < 50: ${p99 < 50 ? "MET" : "MISSED"})`,
  );
  console.log(
    `agents connected at the end: ${results.at(-1)!.connected}; sockets closed unexpectedly: ${closedUnexpectedly}`,
  );
} finally {
  stopping = true;
  for (const t of timers) clearTimeout(t);
  for (const ws of sockets) ws.close();
  server.kill("SIGTERM");
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
