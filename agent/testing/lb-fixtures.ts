import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { HostState, StateContainer, StateService } from "@corral/api";

/** Test helpers for the load balancer: host view builders, real PEMs, real `haproxy -c`. */

/** A service of the host view; `extra` overrides fields. */
export function service(id: string, name: string, extra: Partial<StateService> = {}): StateService {
  return {
    id,
    name,
    stackName: "stack",
    kind: "service",
    state: "active",
    healthState: "healthy",
    scale: 1,
    links: [],
    externalIpAddresses: [],
    hostname: null,
    sidekicks: [],
    metadata: {},
    labels: {},
    lbConfig: null,
    ...extra,
  };
}

/** A load balancer service with this lbConfig. */
export function lbService(lbConfig: Record<string, unknown>, id = "1s100"): StateService {
  return service(id, "lb", { kind: "loadBalancerService", lbConfig });
}

/** A running container of the host view. */
export function container(
  id: string,
  name: string,
  serviceId: string | null,
  ip: string,
  extra: Partial<StateContainer> = {},
): StateContainer {
  return {
    id,
    name,
    hostId: "1h1",
    ip,
    state: "running",
    healthState: null,
    stackName: "stack",
    serviceName: name,
    serviceId,
    launchConfigName: "",
    createIndex: 1,
    labels: {},
    ports: [],
    links: {},
    dns: [],
    dnsSearch: [],
    ...extra,
  };
}

/** A whole host view around containers, services and certificates. */
export function hostState(
  version: number,
  services: StateService[],
  containers: StateContainer[],
  certificates: HostState["certificates"] = [],
): HostState {
  return {
    type: "hostState",
    version,
    hostId: "1h1",
    environmentId: "1a1",
    network: null,
    portRange: { start: 49153, end: 65535 },
    containers,
    services,
    hosts: [],
    certificates,
    upstreamDns: [],
  };
}

/**
 * A self-signed certificate made by openssl for `names` (the first is the CN). Its key is ECDSA
 * P-256: an RSA key costs a random prime search that takes seconds on a loaded machine.
 */
export function makeCertificate(id: string, names: string[]): HostState["certificates"][number] {
  const dir = mkdtempSync(join(tmpdir(), "corral-lb-cert-"));
  execFileSync(
    "openssl",
    [
      ...[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
      ],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ...["-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`],
    ],
    { stdio: "ignore" },
  );
  return {
    id,
    name: names[0]!,
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    certChain: null,
  };
}

/** A fresh directory to render configs into, so their certificate paths exist for `haproxy -c`. */
export function renderDir(): string {
  return mkdtempSync(join(tmpdir(), "corral-lb-render-"));
}

/** Writes a rendered config and its files under `dir` and runs the real `haproxy -c` on it. */
export function haproxyCheck(
  dir: string,
  rendered: { config: string; files: Record<string, string> },
): { ok: boolean; output: string } {
  for (const [path, content] of Object.entries(rendered.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  writeFileSync(join(dir, "haproxy.cfg"), rendered.config);
  try {
    const output = execFileSync("haproxy", ["-c", "-f", join(dir, "haproxy.cfg")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { ok: true, output };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}
