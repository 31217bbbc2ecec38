import type { Draft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { asBytes, asDurationMs, asInt, asMap, asNumber, asString } from "./values.ts";
import type { YMap, YNode } from "./yaml-tree.ts";

type Handler = (r: FileReporter, d: Draft, n: YNode, at: Located) => void;

function each(
  r: FileReporter,
  m: YMap,
  handlers: Record<string, Handler>,
  d: Draft,
  ignored: string[],
): void {
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    const h = handlers[e.key];
    if (h) h(r, d, e.value, at);
    else if (ignored.includes(e.key)) r.warn(at, `${e.key} is not supported by Corral; ignored`);
    else if (!e.key.startsWith("x-")) r.error(at, `unknown key "${e.key}"`);
  }
}

const resourceHandlers = (limit: boolean): Record<string, Handler> => ({
  memory: (r, d, n) => {
    const v = asBytes(r, n);
    if (limit) d.lc.memory = v;
    else d.lc.memoryReservation = v;
  },
  cpus: (r, d, n, at) => {
    const v = asNumber(r, n);
    // The model has a CPU reservation (milli-CPUs, as Rancher's scheduler used) but no CPU limit.
    if (!limit && v !== undefined) d.lc.milliCpuReservation = Math.round(v * 1000);
    else if (limit) r.warn(at, "CPU limits are not supported by Corral; ignored");
  },
});

const restartConditions: Record<string, string> = { none: "no", any: "always", "on-failure": "on-failure" };

const deployHandlers: Record<string, Handler> = {
  replicas: (r, d, n) => {
    d.scale = asInt(r, n, 0, 10_000);
  },
  mode: (r, d, n) => {
    const v = asString(r, n);
    if (v === "global") d.global = true;
    else if (v !== undefined && v !== "replicated")
      r.error(n, `mode must be replicated or global, not "${v}"`);
  },
  resources: (r, d, n) => {
    const m = asMap(r, n);
    if (!m) return;
    each(
      r,
      m,
      {
        reservations: (r2, d2, n2) => {
          const mm = asMap(r2, n2);
          if (mm) each(r2, mm, resourceHandlers(false), d2, ["generic_resources", "devices"]);
        },
        limits: (r2, d2, n2) => {
          const mm = asMap(r2, n2);
          if (mm) each(r2, mm, resourceHandlers(true), d2, ["pids"]);
        },
      },
      d,
      [],
    );
  },
  update_config: (r, d, n) => {
    const m = asMap(r, n);
    if (!m) return;
    const up: NonNullable<Draft["upgrade"]> = d.upgrade ?? {};
    d.upgrade = up;
    each(
      r,
      m,
      {
        parallelism: (r2, _d, n2) => {
          up.batchSize = asInt(r2, n2, 1, 1000);
        },
        delay: (r2, _d, n2) => {
          const ms = asDurationMs(r2, n2);
          if (ms !== undefined) up.intervalMillis = Math.round(ms);
        },
        order: (r2, _d, n2) => {
          const v = asString(r2, n2);
          if (v === "start-first") up.startFirst = true;
          else if (v === "stop-first") up.startFirst = false;
          else if (v !== undefined) r2.error(n2, `order must be start-first or stop-first, not "${v}"`);
        },
      },
      d,
      ["failure_action", "monitor", "max_failure_ratio"],
    );
  },
  restart_policy: (r, d, n) => {
    const m = asMap(r, n);
    if (!m) return;
    let name = "always";
    let retries: number | undefined;
    each(
      r,
      m,
      {
        condition: (r2, _d, n2) => {
          const v = asString(r2, n2) ?? "";
          const mapped = restartConditions[v];
          if (mapped) name = mapped;
          else r2.error(n2, `condition must be none, on-failure or any, not "${v}"`);
        },
        max_attempts: (r2, _d, n2) => {
          retries = asInt(r2, n2);
        },
      },
      d,
      ["delay", "window"],
    );
    // An explicit `restart:` key is more specific than swarm's policy: keep it.
    if (!d.lc.restartPolicy)
      d.lc.restartPolicy = name === "on-failure" && retries ? { name, maximumRetryCount: retries } : { name };
  },
};

/** The v3 `deploy:` key: replicas, mode, resources, update_config, restart_policy. */
export function applyDeploy(r: FileReporter, d: Draft, n: YNode): void {
  const m = asMap(r, n);
  if (m) each(r, m, deployHandlers, d, ["labels", "placement", "rollback_config", "endpoint_mode"]);
}
