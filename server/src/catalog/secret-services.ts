// biome-ignore-all lint/suspicious/noTemplateCurlyInString: services keep ${VAR} references to password answers
import { randomBytes } from "node:crypto";
import type { LaunchConfig, StackSpec } from "@corral/api";
import { AppError } from "@corral/lib";
import { type ParseStackInput, type ParseStackResult, parseStack } from "../compose/index.ts";

/** A `${NAME}` reference as the services of a catalog stack keep a password answer. */
const referenceRe = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The launch config fields a password answer may go to: what the container gets, never what the server reads. */
type SecretField = "environment" | "command" | "entryPoint";

/** Applies `edit` to every string of the fields a password answer may go to (environment values, command, entrypoint). */
function mapSecretFields(lc: LaunchConfig, edit: (text: string, field: string) => string): LaunchConfig {
  const out = { ...lc };
  out.environment = Object.fromEntries(
    Object.entries(lc.environment ?? {}).map(([k, v]) => [k, edit(v, `environment ${k}`)]),
  );
  for (const key of ["command", "entryPoint"] as const satisfies SecretField[])
    if (lc[key]) out[key] = lc[key].map((v) => edit(v, key));
  return out;
}

/** Every string of a value with its path (`a.b[2]`), keys included. */
function* strings(v: unknown, path: string): Generator<[string, string]> {
  if (typeof v === "string") yield [path, v];
  else if (Array.isArray(v)) for (const [i, item] of v.entries()) yield* strings(item, `${path}[${i}]`);
  else if (v && typeof v === "object")
    for (const [k, item] of Object.entries(v)) {
      yield [`${path}.${k} (key)`, k];
      yield* strings(item, `${path}.${k}`);
    }
}

/** A refusal of files that put a password answer where a container cannot receive it as a reference. */
function refuse(message: string): AppError {
  return new AppError("InvalidOption", message, { detail: { field: "answers" } });
}

/**
 * Parses the files of a catalog stack so that its services keep each password answer (the names in
 * `passwords`) as a `${name}` reference instead of its value: the value is put into the container's
 * spec only when a host is asked to create it ({@link resolvePasswordRefs}), so no service or
 * container the API shows, and no row at rest, holds it.
 *
 * The files are interpolated with a marker for each (non-empty) password, and the markers become the
 * references. A password may go to a container's environment, command or entrypoint: those are
 * handed to the container as they are. Anywhere else (an image, a port, a label, metadata, a
 * volume) the server itself reads the value, so such files are refused with a 4xx naming the answer
 * and the place. So are files writing a password's reference literally (`$${name}` in a file
 * interpolates to `${name}`) where references are resolved: it would be given the value. Without
 * passwords this is {@link parseStack} itself.
 */
export function parseKeepingPasswords(input: ParseStackInput, passwords: Iterable<string>): ParseStackResult {
  const names = new Set(passwords);
  const env = input.environment ?? {};
  const hidden = [...names].filter((k) => (env[k] ?? "") !== "");
  if (names.size === 0) return parseStack(input);
  const nonce = randomBytes(9).toString("hex");
  const markers = new Map(hidden.map((k, i) => [k, `CorralSecret${nonce}x${i}x`]));
  const markerRe = new RegExp(`CorralSecret${nonce}x(\\d+)x`, "g");
  const nameOf = (i: string) => hidden[Number(i)]!;
  const toRefs = (text: string) => text.replace(markerRe, (_m, i: string) => `\${${nameOf(i)}}`);
  const masked = { ...env };
  for (const [k, m] of markers) masked[k] = m;
  let parsed: ParseStackResult;
  try {
    parsed = parseStack({ ...input, environment: masked });
  } catch (e) {
    // A refusal may quote an interpolated value: it names the reference, never the marker.
    if (e instanceof AppError)
      throw new AppError(e.code, toRefs(e.message), {
        cause: e.cause,
        detail: JSON.parse(toRefs(JSON.stringify(e.detail ?? null))),
      });
    throw e;
  }
  const services = parsed.spec.services.map((svc) => {
    const place = `service ${svc.name}`;
    const refer = (lc: LaunchConfig) =>
      mapSecretFields(lc, (text, field) => {
        for (const m of text.matchAll(referenceRe))
          if (names.has(m[1]!))
            throw refuse(
              `${place}: ${field} writes \${${m[1]}} as it is; in a catalog stack that stands for the password answer ${m[1]}, so it is refused`,
            );
        return toRefs(text);
      });
    const out = {
      ...svc,
      ...(svc.launchConfig ? { launchConfig: refer(svc.launchConfig) } : {}),
      secondaryLaunchConfigs: svc.secondaryLaunchConfigs.map(refer),
    };
    return out;
  });
  for (const [path, text] of strings({ services, volumes: parsed.spec.volumes }, "stack")) {
    const m = [...text.matchAll(markerRe)][0];
    if (m)
      throw refuse(
        `${path.replace(/^stack\.services\[(\d+)\]\./, (_s, i: string) => `service ${services[Number(i)]!.name}: `).replace(/^stack\./, "")}: ` +
          `the password answer ${nameOf(m[1]!)} may go to a container's environment, command or entrypoint only`,
      );
  }
  return { spec: { ...parsed.spec, services }, warnings: parsed.warnings.map(toRefs) };
}

/**
 * A container's environment, command and entrypoint with the `${name}` references to its stack's
 * password answers replaced by the answers (`answers`, opened), in one pass: an answer holding
 * `${other}` is given as it is. Other `${...}` text is left alone; without answers the fields are
 * returned unchanged.
 */
export function resolvePasswordRefs<T extends LaunchConfigFields>(
  fields: T,
  answers: Record<string, string>,
): T {
  if (Object.keys(answers).length === 0) return fields;
  const resolve = (text: string) =>
    text.replace(referenceRe, (ref, name: string) => (Object.hasOwn(answers, name) ? answers[name]! : ref));
  return {
    ...fields,
    environment: Object.fromEntries(
      Object.entries(fields.environment ?? {}).map(([k, v]) => [k, resolve(v)]),
    ),
    ...(fields.command ? { command: fields.command.map(resolve) } : {}),
    ...(fields.entryPoint ? { entryPoint: fields.entryPoint.map(resolve) } : {}),
  };
}

/** The fields of a launch config or a container row that password references may be in. */
export interface LaunchConfigFields {
  environment?: Record<string, string>;
  command?: string[];
  entryPoint?: string[];
}

/** True when a launch config holds a `${name}` reference to one of `names` (a password answer that changed). */
export function refersToAny(lcs: (LaunchConfig | undefined)[], names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  return lcs.some((lc) => {
    if (!lc) return false;
    let hit = false;
    mapSecretFields(lc, (text) => {
      for (const m of text.matchAll(referenceRe)) if (names.has(m[1]!)) hit = true;
      return text;
    });
    return hit;
  });
}

/** The names whose answers differ between two sets of opened password answers (added and removed ones included). */
export function changedAnswers(before: Record<string, string>, after: Record<string, string>): Set<string> {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return new Set([...keys].filter((k) => before[k] !== after[k]));
}

/**
 * A stack's services for its export, with the references to its password answers as `marker(name)`
 * (the export escapes `$`, which would break a reference; the caller writes the references back
 * after it). Services made before references were kept hold the values themselves; those are
 * replaced by markers as well (see referSecrets).
 */
export function markPasswordRefs(
  services: StackSpec["services"],
  names: Iterable<string>,
  marker: (name: string) => string,
): StackSpec["services"] {
  const known = new Set(names);
  if (known.size === 0) return services;
  const mark = (lc: LaunchConfig) =>
    mapSecretFields(lc, (text) =>
      text.replace(referenceRe, (ref, name: string) => (known.has(name) ? marker(name) : ref)),
    );
  return services.map((s) => ({
    ...s,
    ...(s.launchConfig ? { launchConfig: mark(s.launchConfig) } : {}),
    secondaryLaunchConfigs: (s.secondaryLaunchConfigs ?? []).map(mark),
  }));
}

/**
 * Markers for the export of a stack with these (opened) password answers: letters and digits, which
 * the export writes as they are, and random, so no file text has them. A marker never contains an
 * answer referSecrets would replace (4 characters or more) or equals a shorter one.
 */
export function exportMarkers(secrets: Record<string, string>): (name: string) => string {
  const names = Object.keys(secrets);
  const values = Object.values(secrets).filter((v) => v !== "");
  let marks = new Map<string, string>();
  for (let attempt = 0; attempt < 64; attempt++) {
    const nonce = randomBytes(9).toString("hex");
    marks = new Map(names.map((k, i) => [k, `x${nonce}x${i}x`]));
    const clash = [...marks.values()].some((m) =>
      values.some((v) => m === v || (v.length >= 4 && m.includes(v))),
    );
    if (!clash) break;
  }
  return (name) => marks.get(name) ?? name;
}
