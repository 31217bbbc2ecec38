import type { IndexedTemplate, IndexedVersion } from "./model.ts";

/**
 * The Rancher version Corral answers as for catalog templates (`minimum_rancher_version`,
 * `maximum_rancher_version`): the last 1.6 release, the API level Corral speaks.
 */
export const compatibilityVersion = "v1.6.30";

/** Splits `v1.6.30-rancher1` into comparable parts: numbers compare as numbers, words as text. */
function parts(v: string): (number | string)[] {
  return v
    .trim()
    .replace(/^v/i, "")
    .split(/[.\-+]/)
    .filter((p) => p !== "")
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Orders two version strings (`1.10.0` after `1.9.2`; a missing part counts as 0). */
export function compareVersions(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0;
    const q = y[i] ?? 0;
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p - q;
    // A word part (`-rancher1`, `-rc1`) sorts after a number part, words alphabetically.
    if (typeof p === "number") return -1;
    if (typeof q === "number") return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/**
 * True when `version` meets `range`: constraints such as `>=1.0.0 <2`, separated by spaces or
 * commas, all of which must hold; `a || b` accepts either side; a bare version means equal.
 */
export function satisfies(version: string, range: string): boolean {
  return range.split("||").some((alt) =>
    alt
      .split(/[\s,]+/)
      .filter((c) => c !== "")
      .every((c) => {
        const m = /^(>=|<=|>|<|=|==|!=)?\s*(.+)$/.exec(c);
        if (!m) return false;
        const d = compareVersions(version, m[2]!);
        switch (m[1]) {
          case ">=":
            return d >= 0;
          case "<=":
            return d <= 0;
          case ">":
            return d > 0;
          case "<":
            return d < 0;
          case "!=":
            return d !== 0;
          default:
            return d === 0;
        }
      }),
  );
}

/** True when this server's compatibility version lies within the version's min and max. */
export function isCompatible(v: IndexedVersion, at = compatibilityVersion): boolean {
  if (v.minimumRancherVersion && compareVersions(at, v.minimumRancherVersion) < 0) return false;
  if (v.maximumRancherVersion && compareVersions(at, v.maximumRancherVersion) > 0) return false;
  return true;
}

/** The version launched by default: config.yml's `version` when offered, else the newest compatible. */
export function defaultVersionOf(t: IndexedTemplate): IndexedVersion | undefined {
  const usable = t.versions.filter((v) => isCompatible(v));
  return usable.find((v) => v.version === t.defaultVersion) ?? usable.at(-1);
}

/**
 * The versions a stack at revision `from` may upgrade to: later compatible revisions whose
 * `upgrade_from` (when they have one) accepts the current version.
 */
export function upgradesFrom(t: IndexedTemplate, from: number): IndexedVersion[] {
  const current = t.versions.find((v) => v.revision === from);
  if (!current) return [];
  return t.versions.filter(
    (v) =>
      v.revision > from &&
      isCompatible(v) &&
      (v.upgradeFrom === undefined || satisfies(current.version, v.upgradeFrom)),
  );
}
