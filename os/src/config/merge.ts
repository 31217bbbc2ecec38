/** Plain objects merge; anything else (lists, scalars) replaces. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges `over` onto `base` as RancherOS `util.Merge` did: maps merge deeply, lists and scalars are
 * replaced whole (so a later layer can shrink a list). Inputs are never mutated.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Folds the `rancher:` alias into `corral:`; `corral:` keys win over `rancher:` ones in one document. */
export function normalizeAlias(doc: unknown): Record<string, unknown> {
  if (!isPlainObject(doc)) return {};
  const { rancher: r, corral: c, ...rest } = doc;
  // An empty section (`rancher:` alone, YAML null) says nothing.
  const rancher = r === null ? undefined : r;
  const corral = c === null ? undefined : c;
  if (rancher === undefined) return corral === undefined ? rest : { ...rest, corral };
  return { ...rest, corral: deepMerge(rancher, corral ?? {}) };
}

/** Maps a user's dotted path to the normalized one: `rancher.x` is `corral.x`. */
export function normalizePath(path: string): string {
  return path.startsWith("rancher.") ? `corral.${path.slice(8)}` : path === "rancher" ? "corral" : path;
}

/** The value at a dotted path, or undefined. */
export function getPath(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const part of normalizePath(path).split(".")) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

/** A copy of `doc` with `value` at the dotted path (intermediate maps created; undefined deletes). */
export function setPath(doc: unknown, path: string, value: unknown): Record<string, unknown> {
  const parts = normalizePath(path).split(".");
  const root: Record<string, unknown> = isPlainObject(doc) ? { ...doc } : {};
  let node = root;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      if (value === undefined) delete node[part];
      else node[part] = value;
    } else {
      const child = isPlainObject(node[part]) ? { ...(node[part] as Record<string, unknown>) } : {};
      node[part] = child;
      node = child;
    }
  }
  return root;
}

/** Builds a nested object from a dotted path, for merging a single cmdline key as a layer. */
export function fromPath(path: string, value: unknown): Record<string, unknown> {
  return setPath({}, path, value);
}
