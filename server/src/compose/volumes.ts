import { type stackVolumeSchema, type VolumeTemplate, volumeTemplateSchema } from "@corral/api";
import type { z } from "zod";
import type { LaunchDraft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { asBool, asKeyValues, asMap, asSeq, asString, typeName } from "./values.ts";
import { entry, type YMap, type YNode } from "./yaml-tree.ts";

const modeRe =
  /^(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate|cached|delegated|consistent)(,(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate|cached|delegated|consistent))*$/;

function checkTarget(r: FileReporter, n: YNode, target: string): boolean {
  if (target.startsWith("/")) return true;
  r.error(n, `invalid volume: container path "${target}" must be absolute`);
  return false;
}

function warnRelative(r: FileReporter, n: YNode, source: string): void {
  // There is no compose file directory here: relative paths would be resolved on each host.
  if (/^(\.|~)/.test(source)) r.warn(n, `relative host path "${source}" is used as-is on the host`);
}

/** One short-syntax volume: "/c", "/c:ro", "name:/c", "/host:/c:ro". */
function shortVolume(r: FileReporter, n: YNode, text: string): string | undefined {
  const parts = text.split(":");
  if (parts.length === 1) return checkTarget(r, n, text) ? text : undefined;
  if (parts.length === 2 && modeRe.test(parts[1] ?? "") && !(parts[1] ?? "").startsWith("/"))
    return checkTarget(r, n, parts[0] ?? "") ? text : undefined;
  if (parts.length > 3 || (parts.length === 3 && !modeRe.test(parts[2] ?? ""))) {
    r.error(n, `invalid volume "${text}": expected [source:]target[:mode]`);
    return undefined;
  }
  const [source = "", target = ""] = parts;
  if (source === "") {
    r.error(n, `invalid volume "${text}": empty source`);
    return undefined;
  }
  warnRelative(r, n, source);
  return checkTarget(r, n, target) ? text : undefined;
}

/** The v3 long syntax {type, source, target, read_only}. */
function longVolume(r: FileReporter, m: YMap): string | undefined {
  const known = ["type", "source", "target", "read_only", "volume", "bind", "tmpfs", "consistency"];
  for (const e of m.entries)
    if (!known.includes(e.key))
      r.error({ pos: e.keyPos, path: e.value.path }, `unknown volume key "${e.key}"`);
  const typeEntry = entry(m, "type");
  const type = typeEntry ? asString(r, typeEntry.value) : "volume";
  if (type === "tmpfs") {
    r.warn(m, "tmpfs mounts are not supported; ignored");
    return undefined;
  }
  if (type !== "volume" && type !== "bind") {
    if (type !== undefined)
      r.error(typeEntry?.value ?? m, `unsupported volume type "${type}" (volume or bind)`);
    return undefined;
  }
  const t = entry(m, "target");
  const target = t ? asString(r, t.value) : undefined;
  if (!t) r.error(m, "a volume needs a target (the container path)");
  if (target === undefined || !checkTarget(r, t?.value ?? m, target)) return undefined;
  const s = entry(m, "source");
  const source = s ? asString(r, s.value) : undefined;
  if (type === "bind" && !source) r.error(m, "a bind mount needs a source");
  if (source) warnRelative(r, s?.value ?? m, source);
  const ro = entry(m, "read_only");
  const readOnly = ro ? asBool(r, ro.value) : false;
  if (entry(m, "bind") || entry(m, "volume") || entry(m, "consistency"))
    r.warn(m, "bind/volume/consistency options are not supported; ignored");
  return `${source ? `${source}:` : ""}${target}${readOnly ? ":ro" : ""}`;
}

/** `volumes:` of a service → dataVolumes strings Docker understands ("src:dst:mode"). */
export function parseServiceVolumes(r: FileReporter, n: YNode): string[] {
  const s = asSeq(r, n);
  if (!s) return [];
  const out: string[] = [];
  for (const it of s.items) {
    let v: string | undefined;
    if (it.kind === "map") v = longVolume(r, it);
    else if (it.kind === "scalar" && typeof it.value === "string") v = shortVolume(r, it, it.value);
    else r.error(it, `a volume must be a string or a mapping, not ${typeName(it)}`);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** A top-level named volume, as the model stores it. */
export type StackVolume = z.input<typeof stackVolumeSchema>;

/** Checks what cannot go together in one top-level volume (external ones are made elsewhere). */
function checkTopVolume(r: FileReporter, at: YMap, name: string, vol: StackVolume): void {
  if (!vol.external) return;
  const made = [
    vol.driver !== undefined && "driver",
    vol.driverOpts && Object.keys(vol.driverOpts).length > 0 && "driver_opts",
    vol.perContainer && "per_container",
  ].filter((x): x is string => typeof x === "string");
  if (made.length > 0)
    r.error(at, `volume ${name} is external (it exists already): ${made.join(", ")} cannot apply to it`);
}

/** Top-level `volumes:` → stack-scoped volumes (`external: true` makes them environment-scoped). */
export function parseTopVolumes(r: FileReporter, n: YNode): Record<string, StackVolume> {
  const out: Record<string, StackVolume> = {};
  if (n.kind === "scalar" && n.value === null) return out;
  const m = asMap(r, n);
  if (!m) return out;
  for (const e of m.entries) {
    const vol: StackVolume = {};
    out[e.key] = vol;
    if (e.value.kind === "scalar" && e.value.value === null) continue;
    const spec = asMap(r, e.value);
    if (!spec) continue;
    for (const f of spec.entries) {
      const at = { pos: f.keyPos, path: f.value.path };
      if (f.key === "driver") vol.driver = asString(r, f.value);
      else if (f.key === "driver_opts") {
        vol.driverOpts = {};
        for (const kv of asKeyValues(r, f.value, "=")) vol.driverOpts[kv.key] = kv.value ?? "";
      } else if (f.key === "external") {
        // v2/v3 allow `external: {name: x}`; the name is the volume's own name here.
        if (f.value.kind === "map") {
          vol.external = true;
          r.warn(at, "external volume names are not supported; the key is the name");
        } else vol.external = asBool(r, f.value);
      } else if (f.key === "per_container") vol.perContainer = asBool(r, f.value);
      else if (f.key === "labels" || f.key === "name")
        r.warn(at, `volume ${f.key} is not supported; ignored`);
      else if (!f.key.startsWith("x-")) r.error(at, `unknown volume key "${f.key}"`);
    }
    if (vol.driver !== undefined && vol.driver.trim() === "")
      r.error(spec, `volume ${e.key}: driver is empty`);
    checkTopVolume(r, spec, e.key, vol);
  }
  return out;
}

/** The named volume a `dataVolumes` entry mounts ("name:/path[:mode]"), else undefined. */
export function namedVolumeOf(volume: string): { name: string; mode: string } | undefined {
  const [source = "", target, mode = ""] = volume.split(":");
  if (target === undefined || source === "" || /^[./~]/.test(source)) return undefined;
  return { name: source, mode };
}

const templateModes = /^(|ro|rw|nocopy|ro,nocopy|nocopy,ro|rw,nocopy|nocopy,rw)$/;

/**
 * Gives each launch config the templates of the top-level volumes it mounts that need more than
 * Docker's default (a driver, options, or one per container), so the agent makes them so.
 */
export function applyVolumeTemplates(
  r: FileReporter,
  drafts: { name: string; at: Located; lc: LaunchDraft }[],
  volumes: Record<string, StackVolume>,
): void {
  for (const d of drafts) {
    const templates: Record<string, VolumeTemplate> = {};
    for (const v of d.lc.dataVolumes ?? []) {
      const named = namedVolumeOf(v);
      const vol = named && Object.hasOwn(volumes, named.name) ? volumes[named.name] : undefined;
      if (!named || !vol || vol.external) continue;
      const parsed = volumeTemplateSchema.safeParse({
        driver: vol.driver,
        driverOpts: vol.driverOpts,
        perContainer: vol.perContainer,
      });
      if (!parsed.success) {
        // An empty driver is already reported at the volume; the rest are bounds.
        if (vol.driver?.trim() !== "")
          r.error(d.at, `volume ${named.name}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
        continue;
      }
      const t = parsed.data;
      if (t.driver === "local" && Object.keys(t.driverOpts).length === 0 && !t.perContainer) continue;
      if (!templateModes.test(named.mode))
        r.error(
          d.at,
          `service ${d.name}: volume ${named.name} has driver options; mode "${named.mode}" cannot apply (ro, rw, nocopy)`,
        );
      templates[named.name] = t;
    }
    if (Object.keys(templates).length > 0) d.lc.volumeTemplates = templates;
  }
}
