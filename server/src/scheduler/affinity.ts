/**
 * Rancher 1.6 scheduling labels and their parsing: affinity rules carried by a container, and the
 * `require_any` / `ips` labels carried by a host. Names and semantics follow Cattle's
 * AllocationHelperImpl and rancher/scheduler's label filter.
 */

/** Hard rule: the host must carry every listed host label (`_ne`: none of them); `_soft` variants prefer. */
export const LABEL_AFFINITY_HOST_LABEL = "io.rancher.scheduler.affinity:host_label";
/** Rule on labels of containers already on the host (service affinity uses `io.rancher.stack_service.name`). */
export const LABEL_AFFINITY_CONTAINER_LABEL = "io.rancher.scheduler.affinity:container_label";
/** Rule on names of containers already on the host. */
export const LABEL_AFFINITY_CONTAINER = "io.rancher.scheduler.affinity:container";
/** Host label: the host accepts only containers carrying at least one of these `k=v` labels. */
export const LABEL_REQUIRE_ANY = "io.rancher.scheduler.require_any";
/** Host label: extra host IPs that ports may be bound to, comma-separated. */
export const LABEL_SCHEDULER_IPS = "io.rancher.scheduler.ips";
/** Container label: one container per eligible host (handled by the orchestrator). */
export const LABEL_GLOBAL = "io.rancher.scheduler.global";
/** Container label set by the orchestrator on every service instance: `stack/service`. */
export const LABEL_STACK_SERVICE_NAME = "io.rancher.stack_service.name";
/** Container label set by the orchestrator on every stack instance: the stack name. */
export const LABEL_STACK_NAME = "io.rancher.stack.name";

/** The IP every host offers: a port bound on it is bound on all of the host's IPs. */
export const ANY_IP = "0.0.0.0";

/** Which facts an affinity rule looks at. */
export type AffinityKind = "host_label" | "container_label" | "container";

/** One `k=v` term of an affinity label; a label with `a=1,b=2` yields two rules, as in Cattle. */
export interface AffinityRule {
  kind: AffinityKind;
  /** Hard rules filter hosts; soft rules (`_soft`, `_soft_ne`) only rank them. */
  hard: boolean;
  /** `_ne` / `_soft_ne`: the host must (should) NOT match. */
  negate: boolean;
  /** The label that carried the rule, lowercased (e.g. `io.rancher.scheduler.affinity:host_label_soft`). */
  label: string;
  /** The term after macro expansion, lowercased (`disk=ssd`, or a container name). */
  term: string;
  /** The index key looked up on a host: `key\0value`, a bare `key` for key-only terms, or a name. */
  match: string;
}

/** A `key=value` (or key-only, `value === null`) term of `require_any`. */
export interface LabelTerm {
  key: string;
  value: string | null;
}

// Cattle matches the suffix exactly against these; anything else (e.g. `_foo`) is not a rule.
const OPS: Record<string, { hard: boolean; negate: boolean }> = {
  "": { hard: true, negate: false },
  _ne: { hard: true, negate: true },
  _soft: { hard: false, negate: false },
  _soft_ne: { hard: false, negate: true },
};

// Longest prefix first: `container` is a prefix of `container_label`.
const KINDS: [string, AffinityKind][] = [
  [LABEL_AFFINITY_CONTAINER_LABEL, "container_label"],
  [LABEL_AFFINITY_CONTAINER, "container"],
  [LABEL_AFFINITY_HOST_LABEL, "host_label"],
];

/** Index key of a label pair, shared by rule parsing and the per-host indexes. */
export function pairKey(key: string, value: string): string {
  return `${key}\0${value}`;
}

/**
 * Parse the affinity rules out of a container's labels. Keys and values are lowercased and the
 * `${stack_name}` / `${service_name}` macros expanded, as Cattle does. A service affinity term
 * without a stack (`io.rancher.stack_service.name=web`) is qualified with the container's own stack,
 * as Cattle's label normalization does. A term without `=` matches on the key alone.
 */
export function parseAffinityLabels(labels: Record<string, string>): AffinityRule[] {
  const rules: AffinityRule[] = [];
  for (const [rawKey, rawValue] of Object.entries(labels)) {
    const key = rawKey.toLowerCase();
    if (!key.startsWith("io.rancher.scheduler.affinity:")) continue;
    const kind = KINDS.find(([prefix]) => key.startsWith(prefix));
    if (!kind) continue;
    const op = OPS[key.slice(kind[0].length)];
    if (!op) continue;
    const value = expandMacros((rawValue ?? "").toLowerCase(), labels);
    for (const part of value.split(",")) {
      const term = part.trim();
      if (term === "") continue;
      rules.push(makeRule(kind[1], op, key, term, labels));
    }
  }
  return rules;
}

function makeRule(
  kind: AffinityKind,
  op: { hard: boolean; negate: boolean },
  label: string,
  written: string,
  labels: Record<string, string>,
): AffinityRule {
  if (kind === "container") return { kind, ...op, label, term: written, match: written };
  const eq = written.indexOf("=");
  if (eq < 0) return { kind, ...op, label, term: written, match: written };
  const k = written.slice(0, eq).trim();
  let v = written.slice(eq + 1).trim();
  const stack = labels[LABEL_STACK_NAME];
  if (k === LABEL_STACK_SERVICE_NAME && v !== "" && !v.includes("/") && stack) {
    v = `${stack.toLowerCase()}/${v}`;
  }
  return { kind, ...op, label, term: `${k}=${v}`, match: pairKey(k, v) };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Cattle's macro syntax, not a JS template.
const STACK_NAME_MACRO = "${stack_name}";
// biome-ignore lint/suspicious/noTemplateCurlyInString: Cattle's macro syntax, not a JS template.
const SERVICE_NAME_MACRO = "${service_name}";

function expandMacros(value: string, labels: Record<string, string>): string {
  if (!value.includes("${")) return value;
  const stack = labels[LABEL_STACK_NAME] ?? "";
  const ref = labels[LABEL_STACK_SERVICE_NAME] ?? "";
  const service = ref.includes("/") ? ref.slice(ref.indexOf("/") + 1) : "";
  // Cattle leaves a macro in place when it has nothing to put there.
  let out = value;
  if (stack) out = out.replaceAll(STACK_NAME_MACRO, stack.toLowerCase());
  if (service) out = out.replaceAll(SERVICE_NAME_MACRO, service.toLowerCase());
  return out;
}

/** Parse `k1=v1,k2` (as in `require_any`) into terms; a term without `=` matches on the key alone. */
export function parseLabelTerms(value: string): LabelTerm[] {
  const terms: LabelTerm[] = [];
  for (const part of value.split(",")) {
    const t = part.trim().toLowerCase();
    if (t === "") continue;
    const eq = t.indexOf("=");
    terms.push(
      eq < 0 ? { key: t, value: null } : { key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim() },
    );
  }
  return terms;
}

/** A host's bindable IPs: its `io.rancher.scheduler.ips` label, comma-separated, plus `0.0.0.0`. */
export function hostIps(labels: Record<string, string>): string[] {
  const ips = (labels[LABEL_SCHEDULER_IPS] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== ANY_IP);
  return [...new Set(ips), ANY_IP];
}
