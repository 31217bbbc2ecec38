/**
 * Benchmark: the load balancer controller (agent/src/lb) against a real corral/lb-haproxy container.
 *
 * A. 1,000 backends. A host view with one LB service whose port rule targets a service of 1,000
 *    running containers (addresses on a test network range; nothing needs to answer). Timed: from
 *    `bus.publish(view)` to the controller's `sync()` resolving, i.e. render + write the files into the
 *    container + `haproxy -c` in it + swap + SIGUSR2 + the new worker confirmed serving the config
 *    id. Every apply changes one backend address, so every apply is a real install. Also timed
 *    alone: renderVersioned(), and `haproxy -c` of the same file on the host.
 *    Baseline, same run: the same rendered config installed by hand from a shell, one
 *    `docker exec -i` that writes it, runs `haproxy -c`, copies it over haproxy.cfg, sends
 *    `kill -USR2 1` and polls the health listener until the new config id answers. Alternating runs,
 *    medians.
 * B. 100 reloads under load. Two busybox httpd backends plus a third that is alternately added to
 *    and removed from the LB's view (it keeps running); wrk (Debian; installed when missing)
 *    `-t1 -c20` against the LB's port 80 for the whole time the controller applies 100 changed
 *    views, one after another. Counted: wrk's socket errors and non-2xx/3xx responses (must be 0),
 *    and reloads/s achieved.
 *
 * Targets: 1,000 backends render + validate + reload <= 0.5 s; 100 reloads under load, 0 errors.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/lb.ts [runs=5] [reloads=100]`
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostState, labelKeys, type StateContainer } from "@corral/api";
import Docker from "dockerode";
import { createDockerDriver } from "../agent/src/dockerode-driver.ts";
import { createLoadBalancerController } from "../agent/src/lb/controller.ts";
import { configRoot } from "../agent/src/lb/install.ts";
import { renderVersioned } from "../agent/src/lb/render.ts";
import { testHost } from "../agent/testing/host.ts";
import { container, hostState, lbService, service } from "../agent/testing/lb-fixtures.ts";
import { fmt, machineLine, median, repoRoot, revision, sleep, startLoadMonitor } from "./lib/common.ts";

process.env.CORRAL_LOG_LEVEL ??= "warn";
const runs = Number(process.argv[2] ?? 5);
const reloadCount = Number(process.argv[3] ?? 100);
const load = startLoadMonitor();
const socket = "/var/run/docker.sock";
const docker = new Docker({ socketPath: socket });
const run = Math.random().toString(36).slice(2, 8);
const prefix = `corral-bench-lb-${run}`;

if (!Bun.which("wrk")) {
  execFileSync(
    "sh",
    [
      "-c",
      "apt-get install -y -qq wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)",
    ],
    {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    },
  );
}
execFileSync("bash", [join(repoRoot, "images/lb-haproxy/build.sh")], {
  stdio: ["ignore", "ignore", "inherit"],
});

const driver = createDockerDriver(socket);
// The controller runs on the agent's runtime: its runner, the host's views and Docker's events.
const host = testHost(driver);
const bus = host.bus;
const lbId = "1i50";
let version = 0;
let lbIp = "";

/** A view with the LB and its port rule 80 -> `serviceId`; `extra` adds services and containers. */
function view(services: ReturnType<typeof service>[], containers: StateContainer[]): HostState {
  const lb = lbService({ portRules: [{ sourcePort: 80, targetPort: 80, serviceId: services[0]!.id }] });
  const lbC = container(lbId, "lb-1", lb.id, lbIp, { labels: { "io.corral.lb": "true" } });
  return hostState(++version, [...services, lb], [lbC, ...containers]);
}

/** 1,000 backends of service "big"; `variant` moves the last one so each view renders differently. */
function bigView(variant: number): HostState {
  const big = service("1s7", "big");
  const cs = Array.from({ length: 1000 }, (_, i) =>
    container(
      `1i${1000 + i}`,
      `big-${i + 1}`,
      "1s7",
      i === 999 ? `10.250.200.${variant % 250}` : `10.250.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    ),
  );
  return view([big], cs);
}

async function backend(name: string): Promise<{ id: string; ip: string }> {
  const c = await docker.createContainer({
    name: `${prefix}-${name}`,
    Image: "corral/busybox:latest",
    Cmd: ["sh", "-c", `mkdir -p /w && echo ${name} > /w/index.html && exec httpd -f -p 80 -h /w`],
    Labels: { "bench.run": run },
    HostConfig: { NetworkMode: prefix },
  });
  await c.start();
  return { id: c.id, ip: (await c.inspect()).NetworkSettings.Networks[prefix]!.IPAddress };
}

const work = mkdtempSync(join(tmpdir(), "corral-bench-lb-"));
const controllerMs: number[] = [];
const baselineMs: number[] = [];
const renderMs: number[] = [];
const checkMs: number[] = [];
let wrkOut = "";
let reloadSeconds = 0;
let reloadsDone = 0;
const controller = createLoadBalancerController(host);
let runner: ReturnType<typeof host.run> | null = null;
let wrk: ChildProcess | null = null;
let lbDockerId = "";
try {
  await docker.createNetwork({ Name: prefix, Labels: { "bench.run": run } });
  const lb = await docker.createContainer({
    name: `${prefix}-lb`,
    Image: "corral/lb-haproxy:latest",
    Labels: { "bench.run": run, "io.corral.lb": "true", [labelKeys.containerId]: lbId },
    HostConfig: { NetworkMode: prefix },
  });
  await lb.start();
  lbDockerId = lb.id;
  lbIp = (await lb.inspect()).NetworkSettings.Networks[prefix]!.IPAddress;
  runner = host.run(controller);

  // A. 1,000 backends.
  let variant = 0;
  const applyByController = async () => {
    const state = bigView(++variant);
    const t0 = performance.now();
    bus.publish(state);
    await runner!.sync();
    const ms = performance.now() - t0;
    const status = controller.report()[0]!;
    if (status.error) throw new Error(`controller failed: ${status.error}`);
    return ms;
  };
  const applyByHand = () => {
    const state = bigView(++variant);
    const lbSvc = state.services.find((s) => s.kind === "loadBalancerService")!;
    const rendered = renderVersioned({ lb: lbSvc, state }, configRoot);
    const file = join(work, "haproxy.cfg");
    writeFileSync(file, rendered.config);
    const dir = `${configRoot}/${rendered.id}`;
    const script = [
      `mkdir -p ${dir} && cat > ${dir}/haproxy.cfg`,
      `haproxy -c -q -f ${dir}/haproxy.cfg`,
      `cp ${dir}/haproxy.cfg ${configRoot}/.new && mv ${configRoot}/.new ${configRoot}/haproxy.cfg`,
      "kill -USR2 1",
      `until [ "$(wget -q -O- http://127.0.0.1:42/config)" = ${rendered.id} ]; do sleep 0.02; done`,
    ].join(" && ");
    const t0 = performance.now();
    execFileSync("sh", ["-c", `docker exec -i ${lbDockerId} sh -c '${script}' < ${file}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    return performance.now() - t0;
  };
  await applyByController(); // warm-up (first install, JIT)
  applyByHand();
  for (let r = 0; r < runs; r++) {
    controllerMs.push(await applyByController());
    baselineMs.push(applyByHand());
    const state = bigView(++variant);
    const lbSvc = state.services.find((s) => s.kind === "loadBalancerService")!;
    const t0 = performance.now();
    const rendered = renderVersioned({ lb: lbSvc, state }, configRoot);
    renderMs.push(performance.now() - t0);
    const file = join(work, "check.cfg");
    writeFileSync(file, rendered.config);
    const t1 = performance.now();
    execFileSync("haproxy", ["-c", "-q", "-f", file]);
    checkMs.push(performance.now() - t1);
  }
  console.error(
    `A: controller ${controllerMs.map((x) => fmt(x, 0)).join(", ")} ms; by hand ${baselineMs.map((x) => fmt(x, 0)).join(", ")} ms`,
  );

  // B. Reloads under load.
  const webSvc = service("1s1", "web");
  const b = [await backend("web-1"), await backend("web-2"), await backend("web-3")];
  const webView = (withThird: boolean) =>
    view(
      [webSvc],
      b.slice(0, withThird ? 3 : 2).map((x, i) => container(`1i${i + 1}`, `web-${i + 1}`, "1s1", x.ip)),
    );
  bus.publish(webView(false));
  await runner.sync();
  const probe = await fetch(`http://${lbIp}/`);
  if (probe.status !== 200) throw new Error(`LB answers ${probe.status}`);
  wrk = spawn("wrk", ["-t1", "-c20", "-d600s", `http://${lbIp}/`], { stdio: ["ignore", "pipe", "inherit"] });
  wrk.stdout!.on("data", (d: Buffer) => {
    wrkOut += d.toString();
  });
  await sleep(1000);
  const t0 = performance.now();
  for (let i = 1; i <= reloadCount; i++) {
    bus.publish(webView(i % 2 === 1));
    await runner.sync();
    if (controller.report()[0]!.error)
      throw new Error(`reload ${i} failed: ${controller.report()[0]!.error}`);
    reloadsDone++;
  }
  reloadSeconds = (performance.now() - t0) / 1000;
  await sleep(1000);
  const exited = new Promise((resolve) => wrk!.on("exit", resolve));
  wrk.kill("SIGINT");
  await exited;
  wrk = null;
} finally {
  wrk?.kill("SIGKILL");
  await host.stop();
  const listed = await docker.listContainers({ all: true, filters: { label: [`bench.run=${run}`] } });
  await Promise.all(listed.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await docker
    .getNetwork(prefix)
    .remove()
    .catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

const requests = Number(/(\d+) requests in/.exec(wrkOut)?.[1] ?? Number.NaN);
const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(wrkOut);
const errors =
  (socketErrors ? socketErrors.slice(1).reduce((a, x) => a + Number(x), 0) : 0) +
  Number(/Non-2xx or 3xx responses: (\d+)/.exec(wrkOut)?.[1] ?? 0);
const ms = (xs: number[]) => `${fmt(median(xs))} ms [${xs.map((x) => fmt(x, 0)).join(", ")}]`;
console.log(`machine: ${machineLine()}`);
console.log(revision());
console.log(load.summary());
console.log(`A. 1,000 backends, ${runs} alternating runs, medians`);
console.log(
  `  controller apply (publish -> sync: render, write, haproxy -c, swap, USR2, confirmed): ${ms(controllerMs)}`,
);
console.log(
  `  baseline: by hand, one docker exec (write, haproxy -c, swap, USR2, poll until served): ${ms(baselineMs)}`,
);
console.log(
  `  ratio controller/by hand: ${fmt(median(controllerMs) / median(baselineMs), 2)}; target <= 500 ms: ${median(controllerMs) <= 500 ? "MET" : "MISSED"}`,
);
console.log(`  parts: renderVersioned ${ms(renderMs)}; haproxy -c on the host ${ms(checkMs)}`);
console.log(
  `B. ${reloadsDone} reloads under wrk -t1 -c20: ${fmt(reloadSeconds, 2)} s, ${fmt(reloadsDone / reloadSeconds, 2)} reloads/s`,
);
console.log(
  `  wrk: ${requests} requests, ${errors} errors${socketErrors ? ` (${socketErrors[0]})` : ""}; target 0 errors: ${errors === 0 && reloadsDone === reloadCount ? "MET" : "MISSED"}`,
);
console.log(
  wrkOut
    .split("\n")
    .filter((l) => /Requests\/sec|Latency|Socket|Non-2xx/.test(l))
    .map((l) => `  wrk> ${l.trim()}`)
    .join("\n"),
);
