import type { InstanceSpec, LaunchConfig } from "@corral/api";

/**
 * The one list of launch config fields and where each one goes: onto a container row, into the
 * agent's instance spec, into docker-compose.yml (and back), and into the container schema of the
 * API. Standalone containers and service units are made from launch configs through it, and compose
 * export writes launch configs through it, so a new launch config field is one entry here (plus the
 * agent's side, when Docker needs it). `launch-fields.test.ts` proves every field makes the trip.
 */

/** docker-compose value kinds that the table alone reads and writes (no code of their own). */
export type SimpleKind = "string" | "bool" | "list" | "listOrOne" | "int" | "bytes";

/** A field's place in docker-compose.yml. */
export type ComposeRule =
  /** Read and written from this table alone (`aliases` are other spellings compose accepts). */
  | { key: string; kind: SimpleKind; aliases?: string[] }
  /**
   * Written from this table by `write` (nothing is written for undefined, false, [] or {}, unless
   * `keepEmpty`); read by its own handler in compose/service.ts, as the syntax needs code.
   */
  | { key: string; write: (lc: LaunchConfig) => unknown; keepEmpty?: boolean }
  /** Written by another field's rule, under that field's key (e.g. two fields make `volumes_from`). */
  | { with: keyof LaunchConfig }
  /** Written by compose/export.ts itself: the place is not a docker-compose service key. */
  | { elsewhere: string };

/** Where one launch config field goes. */
export interface FieldRule {
  /**
   * `same`: a container row stores it under its own name. `unit`: it names other members of a
   * service unit and is resolved into other row fields (networkMode, volumesFrom) when the unit is made.
   */
  row: "same" | "unit";
  /**
   * `same`: the agent's spec carries the row's value under the same name. `built`: instanceSpec
   * builds it (renamed, or mixed with what the server adds). `none`: only the server uses it.
   */
  spec: "same" | "built" | "none";
  compose: ComposeRule;
  /** Its type in the API's container schema (create-only); simple kinds default from their kind. */
  api?: ApiField | false;
}

/** A field as `/v2-beta/schemas` describes it (the shape of the HTTP layer's FieldDef). */
export interface ApiField {
  type: string;
  nullable?: boolean;
  filter?: boolean;
  required?: boolean;
  options?: readonly string[];
}

function restartText(p: LaunchConfig["restartPolicy"]): string | undefined {
  if (!p) return undefined;
  return p.maximumRetryCount !== undefined ? `${p.name}:${p.maximumRetryCount}` : p.name;
}

function loggingOf(lc: LaunchConfig): unknown {
  const log = lc.logConfig;
  if (!log) return undefined;
  return Object.keys(log.config ?? {}).length > 0
    ? { driver: log.driver, options: log.config }
    : { driver: log.driver };
}

/** compose's map form of ulimits: one number when soft and hard agree, else {soft, hard}. */
function ulimitsOf(lc: LaunchConfig): Record<string, unknown> | undefined {
  if (!lc.ulimits?.length) return undefined;
  return Object.fromEntries(
    lc.ulimits.map((u) => [u.name, u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard }]),
  );
}

/**
 * Every launch config field, in the order compose export writes them. `satisfies` makes a field
 * missing here (or one that no longer exists) a type error.
 */
export const launchFields = {
  name: { row: "unit", spec: "none", compose: { elsewhere: "the sidekick's service key" }, api: false },
  imageUuid: {
    row: "same",
    spec: "built",
    compose: { key: "image", write: (lc) => lc.imageUuid.replace(/^docker:/, "") },
    api: { type: "string", required: true, filter: true },
  },
  // Empty lists are kept: `command: []` clears an image's CMD, unlike no command at all.
  command: {
    row: "same",
    spec: "same",
    compose: { key: "command", write: (lc) => lc.command, keepEmpty: true },
    api: { type: "array[string]", nullable: true },
  },
  entryPoint: {
    row: "same",
    spec: "same",
    compose: { key: "entrypoint", write: (lc) => lc.entryPoint, keepEmpty: true },
    api: { type: "array[string]", nullable: true },
  },
  environment: {
    row: "same",
    spec: "same",
    compose: { key: "environment", write: (lc) => lc.environment },
    api: { type: "map[string]" },
  },
  labels: {
    row: "same",
    spec: "built",
    compose: { key: "labels", write: (lc) => lc.labels },
    api: { type: "map[string]" },
  },
  ports: {
    row: "same",
    spec: "built",
    compose: { key: "ports", write: (lc) => lc.ports },
    api: { type: "array[string]" },
  },
  expose: {
    row: "same",
    spec: "same",
    compose: { key: "expose", write: (lc) => lc.expose },
    api: { type: "array[string]" },
  },
  dataVolumes: {
    row: "same",
    spec: "built",
    compose: { key: "volumes", write: (lc) => lc.dataVolumes },
    api: { type: "array[string]" },
  },
  volumeDriver: { row: "same", spec: "same", compose: { key: "volume_driver", kind: "string" } },
  // Written as the top-level `volumes:` the service's named volumes come from (compose/export.ts).
  volumeTemplates: {
    row: "same",
    spec: "same",
    compose: { elsewhere: "top-level volumes" },
    api: { type: "map[json]", nullable: true },
  },
  dataVolumesFrom: {
    row: "same",
    spec: "built",
    compose: {
      key: "volumes_from",
      write: (lc) => [...lc.dataVolumesFrom, ...lc.dataVolumesFromLaunchConfigs],
    },
    api: { type: "array[string]" },
  },
  dataVolumesFromLaunchConfigs: {
    row: "unit",
    spec: "built",
    compose: { with: "dataVolumesFrom" },
    api: false,
  },
  networkMode: {
    row: "same",
    spec: "same",
    compose: {
      key: "network_mode",
      write: (lc) =>
        lc.networkMode === "container"
          ? `container:${lc.networkLaunchConfig ?? ""}`
          : lc.networkMode !== "managed"
            ? lc.networkMode
            : undefined,
    },
    api: { type: "string", filter: true },
  },
  networkLaunchConfig: { row: "unit", spec: "built", compose: { with: "networkMode" }, api: false },
  restartPolicy: {
    row: "same",
    spec: "same",
    compose: { key: "restart", write: (lc) => restartText(lc.restartPolicy) },
    api: { type: "restartPolicy", nullable: true },
  },
  workingDir: { row: "same", spec: "same", compose: { key: "working_dir", kind: "string" } },
  user: { row: "same", spec: "same", compose: { key: "user", kind: "string" } },
  hostname: { row: "same", spec: "same", compose: { key: "hostname", kind: "string" } },
  domainName: { row: "same", spec: "same", compose: { key: "domainname", kind: "string" } },
  tty: { row: "same", spec: "same", compose: { key: "tty", kind: "bool" } },
  stdinOpen: { row: "same", spec: "same", compose: { key: "stdin_open", kind: "bool" } },
  privileged: { row: "same", spec: "same", compose: { key: "privileged", kind: "bool" } },
  capAdd: { row: "same", spec: "same", compose: { key: "cap_add", kind: "list" } },
  capDrop: { row: "same", spec: "same", compose: { key: "cap_drop", kind: "list" } },
  devices: { row: "same", spec: "same", compose: { key: "devices", kind: "list" } },
  // Managed containers get the environment's resolver instead (see instanceSpec).
  dns: { row: "same", spec: "built", compose: { key: "dns", kind: "listOrOne" } },
  dnsSearch: { row: "same", spec: "built", compose: { key: "dns_search", kind: "listOrOne" } },
  extraHosts: {
    row: "same",
    spec: "same",
    compose: { key: "extra_hosts", write: (lc) => lc.extraHosts },
    api: { type: "array[string]" },
  },
  memory: { row: "same", spec: "same", compose: { key: "mem_limit", kind: "bytes", aliases: ["memory"] } },
  // Reservations are the scheduler's business: Docker is not told.
  memoryReservation: { row: "same", spec: "none", compose: { key: "mem_reservation", kind: "bytes" } },
  milliCpuReservation: {
    row: "same",
    spec: "none",
    compose: { key: "milli_cpu_reservation", kind: "int" },
  },
  cpuShares: { row: "same", spec: "same", compose: { key: "cpu_shares", kind: "int" } },
  logConfig: {
    row: "same",
    spec: "same",
    compose: { key: "logging", write: loggingOf },
    api: { type: "logConfig", nullable: true },
  },
  pullPolicy: {
    row: "same",
    spec: "same",
    compose: { key: "pull_policy", write: (lc) => (lc.pullPolicy !== "missing" ? lc.pullPolicy : undefined) },
    api: { type: "enum", options: ["missing", "always", "never"] },
  },
  stopSignal: { row: "same", spec: "same", compose: { key: "stop_signal", kind: "string" } },
  stopTimeout: {
    row: "same",
    spec: "same",
    compose: {
      key: "stop_grace_period",
      write: (lc) => (lc.stopTimeout !== undefined ? `${lc.stopTimeout}s` : undefined),
    },
    api: { type: "int", nullable: true },
  },
  // Host namespaces and confinement: applied as given, under the environment's container policy.
  pidMode: {
    row: "same",
    spec: "same",
    compose: { key: "pid", write: (lc) => lc.pidMode },
    api: { type: "enum", options: ["host"], nullable: true },
  },
  ipcMode: {
    row: "same",
    spec: "same",
    compose: { key: "ipc", write: (lc) => lc.ipcMode },
    api: { type: "enum", options: ["host", "private", "shareable", "none"], nullable: true },
  },
  uts: {
    row: "same",
    spec: "same",
    compose: { key: "uts", write: (lc) => lc.uts },
    api: { type: "enum", options: ["host"], nullable: true },
  },
  securityOpt: { row: "same", spec: "same", compose: { key: "security_opt", kind: "list" } },
  ulimits: {
    row: "same",
    spec: "same",
    compose: { key: "ulimits", write: ulimitsOf },
    api: { type: "array[ulimit]" },
  },
  sysctls: {
    row: "same",
    spec: "same",
    compose: { key: "sysctls", write: (lc) => lc.sysctls },
    api: { type: "map[string]" },
  },
  tmpfs: {
    row: "same",
    spec: "same",
    compose: {
      key: "tmpfs",
      write: (lc) => Object.entries(lc.tmpfs ?? {}).map(([path, opts]) => (opts ? `${path}:${opts}` : path)),
    },
    api: { type: "map[string]" },
  },
  shmSize: { row: "same", spec: "same", compose: { key: "shm_size", kind: "bytes" } },
  readOnly: { row: "same", spec: "same", compose: { key: "read_only", kind: "bool" } },
  // Resolved and opened by the server for each create (secret-files.ts): values never sit in a spec.
  secrets: {
    row: "same",
    spec: "none",
    compose: {
      key: "secrets",
      write: (lc) =>
        lc.secrets.map((s) => ({
          source: s.secretId,
          ...(s.name ? { target: s.name } : {}),
          ...(s.uid ? { uid: s.uid } : {}),
          ...(s.gid ? { gid: s.gid } : {}),
          ...(s.mode ? { mode: s.mode } : {}),
        })),
    },
    api: { type: "array[secretReference]" },
  },
  healthCheck: {
    row: "same",
    spec: "same",
    compose: { elsewhere: "rancher-compose.yml health_check" },
    api: { type: "healthCheck", nullable: true },
  },
} satisfies Record<keyof LaunchConfig, FieldRule>;

type Table = typeof launchFields;

/** Launch config fields a container row stores under their own names. */
export type RowField = { [K in keyof Table]: Table[K]["row"] extends "same" ? K : never }[keyof Table];
/** Launch config fields the agent's spec carries as the row has them. */
export type SpecField = { [K in keyof Table]: Table[K]["spec"] extends "same" ? K : never }[keyof Table];

/** Row fields every container row has held since containers were first stored. */
type CoreField =
  | "imageUuid"
  | "environment"
  | "labels"
  | "ports"
  | "dataVolumes"
  | "networkMode"
  | "tty"
  | "stdinOpen"
  | "pullPolicy";

/**
 * The launch config part of a container row: its fields under their own names. Fields added after
 * the first rows were written are optional, since older rows lack them.
 */
export type LaunchRowFields = Pick<LaunchConfig, CoreField> &
  Partial<Pick<LaunchConfig, Exclude<RowField, CoreField>>>;

/** The table's entries, typed for iteration. */
export function launchFieldEntries(): [keyof LaunchConfig, FieldRule][] {
  return Object.entries(launchFields) as [keyof LaunchConfig, FieldRule][];
}

/** The launch config fields a row stores, copied from `lc` (callers then set what they resolve). */
export function rowFieldsOf(lc: LaunchConfig): LaunchRowFields {
  const out: Record<string, unknown> = {};
  for (const [field, rule] of launchFieldEntries()) if (rule.row === "same") out[field] = lc[field];
  return out as LaunchRowFields;
}

/** The spec fields the agent gets exactly as the row holds them. */
export function specFieldsOf(row: LaunchRowFields): Pick<InstanceSpec, SpecField> {
  const out: Record<string, unknown> = {};
  const from = row as Record<string, unknown>;
  for (const [field, rule] of launchFieldEntries()) if (rule.spec === "same") out[field] = from[field];
  return out as Pick<InstanceSpec, SpecField>;
}

const apiTypeOfKind: Record<SimpleKind, ApiField> = {
  string: { type: "string", nullable: true },
  bool: { type: "boolean" },
  list: { type: "array[string]" },
  listOrOne: { type: "array[string]" },
  int: { type: "int", nullable: true },
  bytes: { type: "int", nullable: true },
};

/** The container schema's launch config fields, all settable on create. */
export function launchApiFields(): Record<string, ApiField & { create: true }> {
  const out: Record<string, ApiField & { create: true }> = {};
  for (const [field, rule] of launchFieldEntries()) {
    if (rule.api === false) continue;
    const api = rule.api ?? ("kind" in rule.compose ? apiTypeOfKind[rule.compose.kind] : undefined);
    if (api) out[field] = { ...api, create: true };
  }
  return out;
}
