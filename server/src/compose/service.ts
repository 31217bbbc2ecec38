import { launchFieldEntries, type SimpleKind } from "../model/launch-fields.ts";
import { applyDeploy } from "./deploy.ts";
import type { Draft } from "./draft.ts";
import { hostKeyHandlers } from "./host-keys.ts";
import type { FileReporter, Located } from "./issues.ts";
import { isLegacyLbImage, readLegacyPorts } from "./legacy-lb.ts";
import { parseExpose, parsePorts } from "./ports.ts";
import { secretsHandler } from "./secrets.ts";
import {
  asBool,
  asBytes,
  asCommand,
  asDurationMs,
  asInt,
  asKeyValues,
  asMap,
  asSeq,
  asString,
  asStringList,
  typeName,
} from "./values.ts";
import { parseServiceVolumes } from "./volumes.ts";
import { entry, type YNode } from "./yaml-tree.ts";

type Handler = (r: FileReporter, d: Draft, n: YNode, at: Located) => void;

/** Keys compose knows that Corral cannot honour: accepted with a warning so old stacks still deploy. */
const ignoredKeys = new Set(
  (
    "blkio_config cgroup_parent configs container_name cpu_count cpu_percent cpu_period cpu_quota " +
    "cpu_rt_period cpu_rt_runtime cpus cpuset credential_spec device_cgroup_rules group_add init " +
    "isolation mac_address mem_swappiness memswap_limit networks oom_kill_disable oom_score_adj " +
    "pids_limit platform profiles runtime storage_opt " +
    "userns_mode annotations attach gpus cpu_rt labels_file " +
    "mem_swap_limit"
  ).split(" "),
);

const readers: Record<SimpleKind, (r: FileReporter, n: YNode) => unknown> = {
  string: asString,
  bool: asBool,
  list: (r, n) => asStringList(r, n),
  listOrOne: (r, n) => asStringList(r, n, true),
  int: (r, n) => asInt(r, n),
  bytes: asBytes,
};

/** Handlers of the keys model/launch-fields.ts says how to read by their kind alone. */
function simpleHandlers(): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [field, rule] of launchFieldEntries()) {
    const c = rule.compose;
    if (!("kind" in c)) continue;
    const read = readers[c.kind];
    const handler: Handler = (r, d, n) => {
      (d.lc as Record<string, unknown>)[field] = read(r, n);
    };
    for (const key of [c.key, ...(c.aliases ?? [])]) out[key] = handler;
  }
  return out;
}

/** The label that makes other services sidekicks of this one. */
export const sidekicksLabel = "io.rancher.sidekicks";

const restartRe = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/;

/**
 * `log_opt` / `logging.options`. Without a driver (or with `log_driver: ''`) the driver stays "",
 * which the engine reads as its own default driver, as `docker run --log-opt` alone does.
 */
function logOptions(r: FileReporter, d: Draft, n: YNode): void {
  const config: Record<string, string> = {};
  for (const kv of asKeyValues(r, n, "=")) config[kv.key] = kv.value ?? "";
  d.lc.logConfig = { driver: d.lc.logConfig?.driver ?? "", config };
}

/** Reads `name` / `name:alias` items shared by links and external_links. */
function linkItems(r: FileReporter, n: YNode): { target: string; alias?: string; node: YNode }[] {
  const s = asSeq(r, n);
  const out: { target: string; alias?: string; node: YNode }[] = [];
  for (const it of s?.items ?? []) {
    const text = asString(r, it);
    if (text === undefined) continue;
    const [target = "", alias, extra] = text.split(":");
    if (!target || extra !== undefined || alias === "")
      r.error(it, `invalid link "${text}": expected name[:alias]`);
    else out.push(alias === undefined ? { target, node: it } : { target, alias, node: it });
  }
  return out;
}

const handlers: Record<string, Handler> = {
  ...simpleHandlers(),
  ...hostKeyHandlers,
  secrets: secretsHandler,
  image: (r, d, n) => {
    const v = asString(r, n);
    if (v !== undefined && v.trim() === "") r.error(n, "image must not be empty");
    else if (v !== undefined) d.image = v;
  },
  build: (r, d, n, at) => {
    // A build context (string) or its long form (mapping); what to do is decided once image is known.
    if (n.kind === "map" || (n.kind === "scalar" && typeof n.value === "string" && n.value.trim() !== ""))
      d.build = at;
    else r.error(n, `build must be a path or a mapping, not ${typeName(n)}`);
  },
  env_file: (r, _d, _n, at) =>
    r.error(at, "env_file is not supported: files are not available; use environment"),
  extends: (r, _d, _n, at) => r.error(at, "extends is not supported: write the service out in full"),
  command: (r, d, n) => {
    d.lc.command = asCommand(r, n);
  },
  entrypoint: (r, d, n) => {
    d.lc.entryPoint = asCommand(r, n);
  },
  environment: () => {}, // handled in convertService: needs the variable lookup
  labels: (r, d, n, at) => {
    d.labelsAt = at;
    const labels: Record<string, string> = {};
    for (const kv of asKeyValues(r, n, "=")) {
      labels[kv.key] = kv.value ?? "";
      if (kv.key === sidekicksLabel)
        d.sidekicks = (kv.value ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "")
          .map((name) => ({ name, node: kv.node }));
    }
    d.lc.labels = labels;
  },
  ports: (r, d, n) => {
    if (d.legacyLb) d.legacyLb.ports.unshift(...readLegacyPorts(r, n));
    else d.lc.ports = parsePorts(r, n);
  },
  expose: (r, d, n, at) => {
    if (d.legacyLb) {
      d.legacyLb.ports.push(...readLegacyPorts(r, n));
      d.legacyLb.expose = at;
    } else d.lc.expose = parseExpose(r, n);
  },
  volumes: (r, d, n) => {
    d.lc.dataVolumes = parseServiceVolumes(r, n);
  },
  volumes_from: (r, d, n) => {
    for (const it of asSeq(r, n)?.items ?? []) {
      const text = asString(r, it);
      if (text === undefined) continue;
      const m = /^(?:(service|container):)?([^:]+)(?::(ro|rw))?$/.exec(text);
      if (!m) r.error(it, `invalid volumes_from "${text}": expected [service:|container:]name[:ro|rw]`);
      else {
        if (m[3]) r.warn(it, `volumes_from mode "${m[3]}" is not kept; volumes are mounted as declared`);
        d.volumesFrom.push({ name: m[2] ?? "", node: it });
      }
    }
  },
  network_mode: (r, d, n) => {
    const v = asString(r, n);
    if (v === undefined) return;
    const m = /^(container|service):(.+)$/.exec(v);
    if (m) d.networkRef = { name: m[2] ?? "", node: n };
    else if (["host", "none", "bridge", "managed"].includes(v)) d.lc.networkMode = v;
    else if (v === "default") d.lc.networkMode = "managed";
    else r.error(n, `unsupported network_mode "${v}" (host, none, bridge, managed, container:<sidekick>)`);
  },
  net: (r, d, n, at) => handlers.network_mode?.(r, d, n, at), // v1's spelling
  restart: (r, d, n) => {
    const v = n.kind === "scalar" && n.value === false ? "no" : asString(r, n);
    const m = v === undefined ? null : restartRe.exec(v);
    if (v !== undefined && !m)
      r.error(n, `restart must be no, always, unless-stopped or on-failure[:N], not "${v}"`);
    else if (m) {
      d.lc.restartPolicy = m[2]
        ? { name: m[1] ?? "", maximumRetryCount: Number(m[2]) }
        : { name: m[1] ?? "" };
      if (m[2] && m[1] !== "on-failure") r.error(n, "a retry count only goes with on-failure");
    }
  },
  extra_hosts: (r, d, n) => {
    // The list form is "host:ip"; the map form is {host: ip}. IPv6 addresses contain ':' too.
    const sep = n.kind === "map" ? "=" : ":";
    d.lc.extraHosts = asKeyValues(r, n, sep).map((kv) =>
      kv.value === undefined ? kv.key : `${kv.key}:${kv.value}`,
    );
  },
  logging: (r, d, n) => {
    const m = asMap(r, n);
    if (!m) return;
    for (const e of m.entries)
      if (e.key !== "driver" && e.key !== "options")
        r.error({ pos: e.keyPos, path: e.value.path }, `unknown logging key "${e.key}"`);
    const drv = entry(m, "driver");
    // No driver: the engine's default one (""), as compose leaves it to the engine.
    d.lc.logConfig = { driver: (drv && asString(r, drv.value)) || "", config: {} };
    const opts = entry(m, "options");
    if (opts) logOptions(r, d, opts.value);
  },
  log_driver: (r, d, n) => {
    // `log_driver: ''` (or empty) is how v1 files said "the default driver" beside log_opt.
    const driver = n.kind === "scalar" && n.value === null ? "" : asString(r, n);
    d.lc.logConfig = { driver: driver ?? "", config: d.lc.logConfig?.config ?? {} };
  },
  log_opt: logOptions,
  stop_grace_period: (r, d, n) => {
    const ms = asDurationMs(r, n);
    if (ms === undefined) return;
    if (ms > 3_600_000) r.error(n, "stop_grace_period must be at most 1h");
    else d.lc.stopTimeout = Math.ceil(ms / 1000);
  },
  pull_policy: (r, d, n) => {
    const v = asString(r, n);
    const mapped = v === "if_not_present" ? "missing" : v;
    if (mapped === "missing" || mapped === "always" || mapped === "never") d.lc.pullPolicy = mapped;
    else if (v !== undefined) r.error(n, `pull_policy must be always, missing or never, not "${v}"`);
  },
  healthcheck: (r, d, n, at) => {
    asMap(r, n);
    d.dockerHealthcheck = true;
    r.warn(at, "Docker healthchecks are not run by Corral; declare health_check in rancher-compose.yml");
  },
  links: (r, d, n) => {
    for (const l of linkItems(r, n)) d.links.push({ name: l.target, alias: l.alias, node: l.node });
  },
  external_links: (r, d, n) => {
    for (const l of linkItems(r, n))
      d.externalLinks.push(l.alias ? { target: l.target, alias: l.alias } : { target: l.target });
  },
  depends_on: (r, d, n) => {
    if (n.kind === "map") {
      // v2.1+/v3 form {svc: {condition: ...}}: the order is kept, the condition is not.
      for (const e of n.entries) d.dependsOn.push({ name: e.key, node: { ...e.value, pos: e.keyPos } });
      return;
    }
    for (const it of asSeq(r, n)?.items ?? []) {
      const v = asString(r, it);
      if (v !== undefined) d.dependsOn.push({ name: v, node: it });
    }
  },
  deploy: (r, d, n) => applyDeploy(r, d, n),
  scale: (r, d, n) => {
    d.scale = asInt(r, n, 0, 10_000);
  },
};

/**
 * Converts one docker-compose service mapping. Unknown keys are errors (compose rejects them too),
 * `x-*` extension keys are skipped, and keys compose knows but Corral cannot honour are warnings.
 */
export function convertService(
  r: FileReporter,
  name: string,
  keyPos: Located["pos"],
  node: YNode,
  lookup: (name: string) => string | undefined,
): Draft | undefined {
  const d: Draft = {
    name,
    at: { pos: keyPos, path: node.path },
    lc: {},
    links: [],
    externalLinks: [],
    dependsOn: [],
    volumesFrom: [],
    dockerHealthcheck: false,
  };
  // An empty service (`web:` alone) is allowed here: rancher-compose may make it external or lb.
  if (node.kind === "scalar" && node.value === null) return d;
  const m = asMap(r, node, "a mapping of service keys");
  if (!m) return undefined;
  const image = entry(m, "image")?.value;
  if (image?.kind === "scalar" && typeof image.value === "string" && isLegacyLbImage(image.value))
    d.legacyLb = { ports: [] };
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    const h = handlers[e.key];
    if (h) h(r, d, e.value, at);
    else if (ignoredKeys.has(e.key)) r.warn(at, `${e.key} is not supported by Corral; ignored`);
    else if (!e.key.startsWith("x-")) r.error(at, `unknown key "${e.key}" in service ${name}`);
  }
  const env = entry(m, "environment");
  if (env) {
    const environment: Record<string, string> = {};
    for (const kv of asKeyValues(r, env.value, "=")) {
      // A bare KEY takes its value from the deploying environment, as compose does from the shell.
      const value = kv.value ?? lookup(kv.key);
      if (value === undefined) r.warn(kv.node, `environment ${kv.key} has no value and is not set; left out`);
      else environment[kv.key] = value;
    }
    d.lc.environment = environment;
  }
  if (d.build && d.image)
    r.warn(d.build, `build is not run here: service ${name} deploys the image ${d.image}`);
  else if (d.build)
    r.error(
      d.build,
      `service ${name} has build: but no image: build the image and push it to a registry first, then set image: to it`,
    );
  return d;
}
