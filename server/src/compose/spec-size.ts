/**
 * Largest parsed stack: the same bound as an alias-expanded document (`maxExpandedBytes`). Every way
 * a small file can grow into a big spec (interpolation, `environment: [KEY]` taking a deploy
 * variable in each of 500 services, anchors) ends up here, so this is the one backstop for them all.
 */
export const maxSpecBytes = 4 * 1024 * 1024;

/**
 * Walks a parsed value adding up its strings, keys and scalars, and stops as soon as the total
 * passes `limit`: answers the path where it did (e.g. `services[3].launchConfig.environment.V`),
 * or null when the whole value fits. Strings shared by reference are counted at each use, as they
 * would be once stored.
 */
export function overSizeAt(value: unknown, limit = maxSpecBytes): string | null {
  let left = limit;
  const visit = (v: unknown, path: string): string | null => {
    if (typeof v === "string") left -= v.length + 2;
    else if (Array.isArray(v)) {
      left -= 2;
      for (let i = 0; i < v.length; i++) {
        const at = visit(v[i], `${path}[${i}]`);
        if (at !== null) return at;
      }
    } else if (v && typeof v === "object") {
      left -= 2;
      for (const [k, item] of Object.entries(v)) {
        left -= k.length + 3;
        const at = visit(item, path ? `${path}.${k}` : k);
        if (at !== null) return at;
      }
    } else left -= 8;
    return left < 0 ? path || "(top level)" : null;
  };
  return visit(value, "");
}
