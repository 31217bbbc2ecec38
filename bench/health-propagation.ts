/**
 * Benchmark: how fast a container's health change reaches the host's DNS answers and HAProxy's
 * backends, end to end on this machine.
 *
 * - Setup: the e2e harness (test/e2e/harness.ts startEnv): a real server in this process and a real
 *   `corral agent` process on the local Docker engine. One stack: `web` (busybox httpd, scale 2,
 *   HTTP health check every 300 ms, thresholds 1/1, strategy none) and `lb` (a load balancer
 *   service, port rule -> web:80, run by the agent in a corral/lb-haproxy container).
 * - Flip: `killall httpd` in web-1 (it turns unhealthy), then `httpd` started again (healthy).
 * - Timed from the moment the API shows the new healthState (polled every 10 ms in this process)
 *   to the moment (a) the host's DNS server (169.254.169.250, asked from the managed bridge's
 *   address every 10 ms) stops/starts returning web-1's address for web.<stack>.rancher.internal,
 *   and (b) web-1's server row leaves/re-enters the LB's backend (HAProxy stats, the LB container's
 *   :42/stats;csv, polled every 10 ms). Also printed: kill -> API (the health check's own detection).
 *   Poll resolution 10 ms plus the request's own time.
 * - No baseline program exists for this path; the figure is an absolute time against the target.
 *
 * Target: healthy/unhealthy -> in/out of DNS and HAProxy's backends <= 1 s.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/health-propagation.ts [flips=3]`
 */
import { createSocket } from "node:dgram";
import { decode, encode } from "dns-packet";
import {
  docker,
  type Env,
  removeDockerLeftovers,
  runPrefix,
  startEnv,
  waitFor,
} from "../test/e2e/harness.ts";
import { fmt, machineLine, median, revision, sleep, startLoadMonitor } from "./lib/common.ts";

process.env.CORRAL_LOG_LEVEL ??= "warn";
const flips = Number(process.argv[2] ?? 3);
const load = startLoadMonitor();
const stack = `${runPrefix}hp`;

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox:latest
    command: sh -c 'mkdir -p /www; echo ok > /www/index.html; httpd -p 80 -h /www; sleep 3600'
  lb:
    image: rancher/lb-service-haproxy
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 2
    health_check:
      port: 80
      request_line: GET /index.html HTTP/1.0
      interval: 300
      healthy_threshold: 1
      unhealthy_threshold: 1
      strategy: none
  lb:
    lb_config:
      port_rules:
      - source_port: 8080
        target_port: 80
        service: web
`;

let env: Env | null = null;
const rows: { kind: string; detect: number; dns: number; lb: number }[] = [];
try {
  env = await startEnv();
  const api = env.api;
  const created = await api.request("POST", api.project("/stacks"), {
    name: stack,
    dockerCompose,
    rancherCompose,
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  const containerNamed = async (name: string) =>
    (await api.request("GET", api.project(`/containers?name=${name}`))).body.data[0] as
      | { healthState: string; primaryIpAddress: string; state: string }
      | undefined;
  const victim = `${stack}-web-1`;
  await waitFor(
    "web healthy at scale 2 and the LB running",
    async () => {
      const w1 = await containerNamed(victim);
      const w2 = await containerNamed(`${stack}-web-2`);
      const lb = await containerNamed(`${stack}-lb-1`);
      return w1?.healthState === "healthy" && w2?.healthState === "healthy" && lb?.state === "running"
        ? true
        : null;
    },
    120_000,
  );
  const ip = (await containerNamed(victim))!.primaryIpAddress;
  const lbIp = (await containerNamed(`${stack}-lb-1`))!.primaryIpAddress;

  // DNS on its link-local address, asked from loopback (an allowed source, as the host itself).
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  let qid = 0;
  let lastReply = "";
  const pending = new Map<number, (ips: string[]) => void>();
  sock.on("message", (msg) => {
    const p = decode(msg);
    const ips = (p.answers ?? []).flatMap((a) => (a.type === "A" ? [a.data] : []));
    lastReply = `${(p as { rcode?: string }).rcode} [${ips.join(", ")}]`;
    pending.get(p.id!)?.(ips);
    pending.delete(p.id!);
  });
  const dnsHas = (): Promise<boolean | null> =>
    new Promise((resolve) => {
      const id = ++qid & 0xffff;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(null);
      }, 500);
      pending.set(id, (ips) => {
        clearTimeout(timer);
        resolve(ips.includes(ip));
      });
      sock.send(
        encode({
          type: "query",
          id,
          flags: 0x100,
          questions: [{ type: "A", name: `web.${stack}.rancher.internal` }],
        }),
        53,
        "169.254.169.250",
      );
    });
  // HAProxy's backend list: is there a server row for web-1's address?
  const lbHas = async (): Promise<boolean | null> => {
    try {
      const csv = await (
        await fetch(`http://${lbIp}:42/stats;csv`, { signal: AbortSignal.timeout(500) })
      ).text();
      return csv.split("\n").some((l) => l.includes(`${stack}-web-1`.replace(/[^A-Za-z0-9_.:-]/g, "_")));
    } catch {
      return null;
    }
  };
  const apiHealth = async () => (await containerNamed(victim))?.healthState;
  // The agent may still be applying the first views (DNS bind, LB config) when the API shows them.
  let seen: [boolean | null, boolean | null] = [null, null];
  await waitFor(
    `DNS (${ip} for web) and HAProxy stats (${lbIp}:42) listing web-1 before the flips`,
    async () => {
      seen = [await dnsHas(), await lbHas()];
      return seen[0] && seen[1] ? true : null;
    },
    30_000,
  ).catch((e) => {
    throw new Error(`${e}; last seen dns=${seen[0]} (${lastReply}) lb=${seen[1]}`);
  });

  /** Polls `probe` every 10 ms until it returns `want`; the time it first did (performance.now()). */
  const until = async (what: string, probe: () => Promise<unknown>, want: unknown, timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if ((await probe()) === want) return performance.now();
      await sleep(10);
    }
    throw new Error(`${what} not seen within ${timeoutMs} ms`);
  };

  for (let i = 0; i < flips; i++) {
    for (const [kind, command, health, present] of [
      ["unhealthy", ["killall", "httpd"], "unhealthy", false],
      ["healthy", ["httpd", "-p", "80", "-h", "/www"], "healthy", true],
    ] as const) {
      const t0 = performance.now();
      await docker("exec", victim, ...command);
      // All three watched at once from the flip, each noting the first time it saw the change.
      const [shown, dns, lb] = await Promise.all([
        until(`API ${health}`, apiHealth, health),
        until(`DNS ${kind}`, dnsHas, present),
        until(`HAProxy ${kind}`, lbHas, present),
      ]);
      rows.push({ kind, detect: shown - t0, dns: dns - shown, lb: lb - shown });
      console.error(
        `${kind}: kill/start -> API ${fmt(shown - t0, 0)} ms; API -> DNS ${fmt(dns - shown, 0)} ms, API -> HAProxy ${fmt(lb - shown, 0)} ms`,
      );
      await sleep(1000);
    }
  }
  sock.close();
} finally {
  await env?.stop().catch(() => {});
  await removeDockerLeftovers().catch(() => {});
}

const col = (k: "detect" | "dns" | "lb", kind?: string) =>
  rows.filter((r) => !kind || r.kind === kind).map((r) => r[k]);
const line = (k: "detect" | "dns" | "lb") =>
  `median ${fmt(median(col(k)), 0)} ms, max ${fmt(Math.max(...col(k)), 0)} ms (to unhealthy ${col(
    k,
    "unhealthy",
  )
    .map((x) => fmt(x, 0))
    .join("/")}; to healthy ${col(k, "healthy")
    .map((x) => fmt(x, 0))
    .join("/")})`;
console.log(`machine: ${machineLine()}`);
console.log(revision());
console.log(load.summary());
console.log(`${rows.length} health changes (${flips} flips each way), polls every 10 ms`);
console.log(`flip -> API shows it (health check detection, context): ${line("detect")}`);
console.log(`API -> DNS answers follow:      ${line("dns")}`);
console.log(`API -> HAProxy backend follows: ${line("lb")}`);
const worst = Math.max(...col("dns"), ...col("lb"));
console.log(`target <= 1000 ms (worst case ${fmt(worst, 0)} ms): ${worst <= 1000 ? "MET" : "MISSED"}`);
