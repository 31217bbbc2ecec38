/**
 * The multi-host test harness: one Corral server started in this process and N test hosts, each a
 * Docker container on its own test network running its own dockerd and Corral agent
 * (see test-host.ts and scripts/build-test-host-image.sh). All traffic stays on this machine: the
 * hosts reach the server through the test bridge's gateway address.
 *
 *   const cluster = await startCluster({ hosts: 3 });
 *   try { ... cluster.hosts[1].docker(["ps"]) ... } finally { await cluster.stop(); }
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultRegistrationToken,
  type LivenessTimings,
  type RunningServer,
  startServer,
} from "@corral/server";
import { docker, dockerOk, ownerLabel, ownerValue, resourcePrefix, run, sweepStale } from "./docker-cli.ts";
import { dockerVolumeName, startTestHost, type TestHost } from "./test-host.ts";

export type { TestHost } from "./test-host.ts";

/** The repository root, bind-mounted into every host at /corral. */
export const repoRoot = join(import.meta.dir, "..", "..");

/**
 * Liveness timings of the cluster's server unless the caller gives others: fast enough that a
 * stopped host is `reconnecting` within seconds, slack enough that three agents and three dockerds
 * sharing two cores with other work do not flap. With 5 s to disconnected, agents starved at a
 * load of ~30 missed it, their in-flight creates failed and units moved hosts mid-test.
 */
export const clusterTimings: LivenessTimings = {
  pingIntervalMs: 1000,
  reconnectingAfterMs: 5000,
  disconnectedAfterMs: 15_000,
};

/** Options of startCluster. */
export interface ClusterOptions {
  /** How many hosts to start. */
  hosts: number;
  /** Server liveness timings (merged over clusterTimings). */
  server?: Partial<LivenessTimings>;
  /** Host labels, by position: `labels[i]` goes to host i+1 as `--label k=v` agent flags. */
  labels?: Record<string, string>[];
  /** How long all hosts may take to become active (default 90 s). */
  activeTimeoutMs?: number;
}

/** An HTTP answer of the API: status and parsed JSON body. */
export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: API resources are checked field by field in tests.
  body: any;
}

/** A started cluster; `stop()` removes every container, network, volume and folder it made. */
export interface Cluster {
  server: RunningServer;
  /** The server's URL from this process (loopback). */
  url: string;
  /** The server's URL from inside the test network (the bridge gateway). */
  hostUrl: string;
  admin: { accessKey: string; secretKey: string };
  /** The Default environment, where the hosts register. */
  projectId: string;
  registrationToken: string;
  network: string;
  hosts: TestHost[];
  /** Calls the API as the admin; `path` starts at the server root (`/v2-beta/...`). */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Removes everything the cluster made; safe to call twice. */
  stop(): Promise<void>;
}

/** Polls `check` until it returns a truthy value; throws with `what` (and the last error) after `timeoutMs`. */
export async function waitFor<T>(
  what: string | (() => string | Promise<string>),
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const label = typeof what === "string" ? what : await what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`, { cause: last });
    }
    await Bun.sleep(intervalMs);
  }
}

/** Builds (or finds, when nothing changed) the test host image; returns its tag and the preload folder. */
export async function buildTestHostImage(): Promise<{ image: string; preloadDir: string }> {
  const r = await run(["bash", join(repoRoot, "scripts", "build-test-host-image.sh")], 600_000);
  if (r.exitCode !== 0) throw new Error(`build-test-host-image.sh failed (${r.exitCode}):\n${r.stderr}`);
  const values = Object.fromEntries(
    r.stdout.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  if (!values.image || !values.preload) throw new Error(`unexpected build output: ${r.stdout}`);
  return { image: values.image, preloadDir: values.preload };
}

/** A TCP port that was free a moment ago, on every interface (the hosts connect from the bridge). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * Starts a server and `options.hosts` test hosts, and resolves once every host is `active` in the
 * API. On any failure everything made so far is removed before the error is thrown. Stale
 * `corral-test-*` resources of dead test processes are swept first.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  await sweepStale();
  const { image, preloadDir } = await buildTestHostImage();
  const runId = Math.random().toString(36).slice(2, 8);
  const dir = mkdtempSync(join(tmpdir(), `${resourcePrefix}${runId}-`));
  const admin = { accessKey: `MULTIHOST${runId.toUpperCase()}`, secretKey: `s${crypto.randomUUID()}` };
  const network = `${resourcePrefix}${runId}`;
  // Made once the network is: the server's certificate must name the bridge gateway, the address
  // the hosts reach it on (an operator's --tls-san; a bridge without containers is not up yet, so
  // the server would not find the address on its own).
  let server: RunningServer | null = null;
  const hostContainerName = (index: number) => `${resourcePrefix}host-${index}-${runId}`;
  const hosts: TestHost[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Every name, not just `hosts`: a `docker run` that failed half-way may still have left its
    // container. Containers first: their network and volumes cannot go while they exist.
    const names = Array.from({ length: options.hosts }, (_, i) => hostContainerName(i + 1));
    await docker(["rm", "--force", "--volumes", ...names]);
    const volumes = names.map(dockerVolumeName);
    await docker(["volume", "rm", "--force", ...volumes]);
    await docker(["network", "rm", network]);
    await server?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  const auth = `Basic ${btoa(`${admin.accessKey}:${admin.secretKey}`)}`;
  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { Authorization: auth, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  try {
    await dockerOk(["network", "create", "--label", `${ownerLabel}=${ownerValue}`, network]);
    const gateway = await dockerOk([
      "network",
      "inspect",
      "--format",
      "{{(index .IPAM.Config 0).Gateway}}",
      network,
    ]);
    const running = startServer({
      port: freePort(),
      hostname: "0.0.0.0",
      dataDir: dir,
      timings: { ...clusterTimings, ...options.server },
      env: { CORRAL_ADMIN_ACCESS_KEY: admin.accessKey, CORRAL_ADMIN_SECRET_KEY: admin.secretKey },
      https: { port: freePort(), source: { extraSans: [gateway] } },
    });
    server = running;
    const registrationToken = defaultRegistrationToken(running.store);
    if (!registrationToken) throw new Error("the Default environment has no registration token");
    // The real path: HTTPS to the address the hosts see, the CA pinned by its checksum.
    const hostUrl = `https://${gateway}:${new URL(running.httpsUrl!).port}`;
    const projectId = server.admin.defaultProjectId;
    const specs = Array.from({ length: options.hosts }, (_, i) => ({
      index: i + 1,
      containerName: hostContainerName(i + 1),
      image,
      network,
      preloadDir,
      repoRoot,
      serverUrl: hostUrl,
      token: registrationToken,
      caChecksum: running.tls!.caChecksum,
      labels: options.labels?.[i] ?? {},
    }));
    // One at a time would triple the start time; `docker run -d` returns in well under a second.
    const started = await Promise.allSettled(specs.map((spec) => startTestHost(spec)));
    for (const s of started) if (s.status === "fulfilled") hosts.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    hosts.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    await waitFor(
      async () =>
        `all ${options.hosts} hosts to be active\n${(await Promise.all(hosts.map((h) => h.logs()))).join("\n")}`,
      async () => {
        const r = await api("GET", `/v2-beta/projects/${projectId}/hosts?limit=1000`);
        // biome-ignore lint/suspicious/noExplicitAny: the host resource is read field by field.
        const active = (r.body.data ?? []).filter((h: any) => h.agentState === "active");
        for (const host of hosts)
          host.hostId = active.find((h: { hostname?: string }) => h.hostname === host.name)?.id ?? "";
        return hosts.every((h) => h.hostId);
      },
      options.activeTimeoutMs ?? 90_000,
      250,
    );
    return {
      server,
      url: server.url,
      hostUrl,
      admin,
      projectId,
      registrationToken,
      network,
      hosts,
      api,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
