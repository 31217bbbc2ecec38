/**
 * A service's launch configuration as the upgrade form's fields (text the user edits: one
 * `KEY=VALUE` or port per line) and back. Pure functions, so they are tested without a browser.
 */

/** The launch configuration fields the form edits; others are sent back unchanged. */
export interface EditableLaunch {
  imageUuid?: string;
  command?: string[] | string | null;
  environment?: Record<string, string>;
  ports?: string[];
  labels?: Record<string, string>;
  healthCheck?: HealthCheckFields | null;
  [other: string]: unknown;
}

/** The health check fields the form edits. */
export interface HealthCheckFields {
  port: number;
  requestLine?: string;
  interval?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  [other: string]: unknown;
}

/** The form's fields, all text. */
export interface LaunchForm {
  image: string;
  command: string;
  environment: string;
  ports: string;
  labels: string;
  /** Labels under `io.rancher.scheduler.` (Rancher's scheduling rules), kept apart for clarity. */
  scheduling: string;
  healthPort: string;
  healthRequestLine: string;
  healthInterval: string;
  healthyThreshold: string;
  unhealthyThreshold: string;
}

const schedulerPrefix = "io.rancher.scheduler.";

const pairs = (map: Record<string, string> | undefined, keep: (k: string) => boolean) =>
  Object.entries(map ?? {})
    .filter(([k]) => keep(k))
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");

/** A command as one line, arguments with spaces or quotes quoted. */
function commandLine(command: EditableLaunch["command"]): string {
  if (!command) return "";
  if (typeof command === "string") return command;
  return command.map((a) => (/^[^\s"'\\]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

/** Splits a command line into arguments: spaces separate, double or single quotes group. */
export function splitCommand(line: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) {
    if (m[1] !== undefined) args.push(m[1].replace(/\\(.)/g, "$1"));
    else args.push(m[2] ?? m[3] ?? "");
  }
  return args;
}

/** The form's text for a launch configuration. */
export function toForm(lc: EditableLaunch): LaunchForm {
  const hc = lc.healthCheck;
  return {
    image: (lc.imageUuid ?? "").replace(/^docker:/, ""),
    command: commandLine(lc.command),
    environment: pairs(lc.environment, () => true),
    ports: (lc.ports ?? []).join("\n"),
    labels: pairs(lc.labels, (k) => !k.startsWith(schedulerPrefix)),
    scheduling: pairs(lc.labels, (k) => k.startsWith(schedulerPrefix)),
    healthPort: hc ? String(hc.port) : "",
    healthRequestLine: hc?.requestLine ?? "",
    healthInterval: hc?.interval !== undefined ? String(hc.interval) : "",
    healthyThreshold: hc?.healthyThreshold !== undefined ? String(hc.healthyThreshold) : "",
    unhealthyThreshold: hc?.unhealthyThreshold !== undefined ? String(hc.unhealthyThreshold) : "",
  };
}

/** A form problem: which field, and what is wrong. */
export class FormError extends Error {
  constructor(
    readonly field: keyof LaunchForm,
    message: string,
  ) {
    super(message);
  }
}

/** `KEY=VALUE` lines into a map; blank lines are skipped, a line without `=` is refused. */
export function parsePairs(text: string, field: keyof LaunchForm): Record<string, string> {
  const out: Record<string, string> = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new FormError(field, `line ${i + 1}: "${line}" is not KEY=VALUE`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  });
  return out;
}

function whole(text: string, field: keyof LaunchForm, what: string): number | undefined {
  if (!text.trim()) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new FormError(field, `${what} must be a whole number`);
  return n;
}

/**
 * The launch configuration the form describes, over the current one (fields the form does not
 * show are kept). Throws {@link FormError} naming the field at fault.
 */
export function fromForm(form: LaunchForm, current: EditableLaunch): EditableLaunch {
  const image = form.image.trim();
  if (!image) throw new FormError("image", "an image is required");
  const next: EditableLaunch = {
    ...current,
    imageUuid: image.startsWith("docker:") ? image : `docker:${image}`,
  };
  const command = splitCommand(form.command.trim());
  if (command.length > 0) next.command = command;
  else delete next.command;
  next.environment = parsePairs(form.environment, "environment");
  next.ports = form.ports
    .split("\n")
    .map((p) => p.trim())
    .filter(Boolean);
  const scheduling = parsePairs(form.scheduling, "scheduling");
  for (const k of Object.keys(scheduling))
    if (!k.startsWith(schedulerPrefix))
      throw new FormError("scheduling", `"${k}" is not a scheduling rule (${schedulerPrefix}...)`);
  next.labels = { ...parsePairs(form.labels, "labels"), ...scheduling };
  const port = whole(form.healthPort, "healthPort", "the health check port");
  if (port === undefined) delete next.healthCheck;
  else {
    const hc: HealthCheckFields = { ...(current.healthCheck ?? {}), port };
    const set = (k: keyof HealthCheckFields, v: number | string | undefined) => {
      if (v === undefined || v === "") delete hc[k];
      else hc[k] = v;
    };
    set("requestLine", form.healthRequestLine.trim());
    set("interval", whole(form.healthInterval, "healthInterval", "the interval"));
    set("healthyThreshold", whole(form.healthyThreshold, "healthyThreshold", "the healthy threshold"));
    set(
      "unhealthyThreshold",
      whole(form.unhealthyThreshold, "unhealthyThreshold", "the unhealthy threshold"),
    );
    next.healthCheck = hc;
  }
  return next;
}
