import { ulimitNames } from "@corral/api";
import type { Draft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { asInt, asKeyValues, asMap, asString, asStringList } from "./values.ts";
import type { YNode } from "./yaml-tree.ts";

type Handler = (r: FileReporter, d: Draft, n: YNode, at: Located) => void;

/**
 * `pid`, `ipc` and `uts`: the host's namespace (under the environment's container policy) or, for
 * ipc, Docker's own modes. Joining another container's namespace (`container:x`, `service:x`) is
 * not carried: a name on a host may be another environment's container. It is a warning, not an
 * error, so files written for docker-compose still deploy, with their own namespaces.
 */
function namespaceKey(
  key: "pid" | "ipc" | "uts",
  field: "pidMode" | "ipcMode" | "uts",
  modes: string[],
): Handler {
  return (r, d, n, at) => {
    const v = asString(r, n);
    if (v === undefined) return;
    if (/^(container|service):./.test(v))
      r.warn(at, `${key} "${v}" (another container's namespace) is not supported by Corral; ignored`);
    else if (modes.includes(v)) (d.lc as Record<string, unknown>)[field] = v;
    else r.error(n, `${key} must be ${modes.join(", ")}, container:<name> or service:<name>, not "${v}"`);
  };
}

const ulimitNameSet = new Set<string>(ulimitNames);

/** `ulimits: {nofile: 1024}` or `{nofile: {soft: 1024, hard: 2048}}`, as compose writes them. */
const ulimits: Handler = (r, d, n) => {
  const m = asMap(r, n, "a mapping of ulimit names");
  if (!m) return;
  const out: { name: (typeof ulimitNames)[number]; soft: number; hard: number }[] = [];
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    if (!ulimitNameSet.has(e.key)) {
      r.error(at, `unknown ulimit "${e.key}" (${ulimitNames.join(", ")})`);
      continue;
    }
    let soft: number | undefined;
    let hard: number | undefined;
    if (e.value.kind === "map") {
      for (const f of e.value.entries)
        if (f.key !== "soft" && f.key !== "hard")
          r.error({ pos: f.keyPos, path: f.value.path }, `unknown ulimit key "${f.key}" (soft, hard)`);
      const s = e.value.entries.find((f) => f.key === "soft");
      const h = e.value.entries.find((f) => f.key === "hard");
      soft = s && asInt(r, s.value, -1);
      hard = h && asInt(r, h.value, -1);
      if (!s || !h) r.error(at, `ulimit ${e.key} needs both soft and hard`);
    } else soft = hard = asInt(r, e.value, -1);
    if (soft === undefined || hard === undefined) continue;
    if (hard !== -1 && (soft === -1 || soft > hard))
      r.error(at, `ulimit ${e.key}: soft must not exceed hard`);
    else out.push({ name: e.key as (typeof ulimitNames)[number], soft, hard });
  }
  d.lc.ulimits = out;
};

/** `sysctls`: a mapping or a list of `name=value`. */
const sysctls: Handler = (r, d, n) => {
  const out: Record<string, string> = {};
  for (const kv of asKeyValues(r, n, "=")) {
    if (!/^[a-z0-9_][a-z0-9_./-]*$/i.test(kv.key)) r.error(kv.node, `"${kv.key}" is not a sysctl name`);
    else if (kv.value === undefined) r.error(kv.node, `sysctl ${kv.key} needs a value`);
    else out[kv.key] = kv.value;
  }
  d.lc.sysctls = out;
};

/** `tmpfs`: one path or a list; `path:options` keeps Docker's mount options (`size=64m,noexec`). */
const tmpfs: Handler = (r, d, n) => {
  const items = asStringList(r, n, true);
  if (!items) return;
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf(":");
    const path = i < 0 ? item : item.slice(0, i);
    if (!/^\/[^\s]*$/.test(path)) r.error(n, `tmpfs "${item}": the path must be absolute`);
    else out[path] = i < 0 ? "" : item.slice(i + 1);
  }
  d.lc.tmpfs = out;
};

/**
 * Handlers of the docker-compose keys that set host namespaces and container confinement beyond
 * the table's simple kinds (`security_opt`, `shm_size`, `read_only` are read from the table).
 */
export const hostKeyHandlers: Record<string, Handler> = {
  pid: namespaceKey("pid", "pidMode", ["host"]),
  ipc: namespaceKey("ipc", "ipcMode", ["host", "private", "shareable", "none"]),
  uts: namespaceKey("uts", "uts", ["host"]),
  ulimits,
  sysctls,
  tmpfs,
};
