/** A JSON-like value of the metadata tree. */
export type Meta = string | number | boolean | null | Meta[] | { [key: string]: Meta };
/** A map node of the tree. */
export type MetaMap = { [key: string]: Meta };

/** Marks "no such path" apart from a present null. */
export const NOT_FOUND: unique symbol = Symbol("not found");

const isMap = (v: Meta): v is { [key: string]: Meta } =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Walks `path` down the tree the way rancher-metadata does: map keys by name, list items by index
 * or by the `name` of the item (so `/services/web/containers/web-1/primary_ip` works).
 */
export function walk(root: Meta, path: readonly string[]): Meta | typeof NOT_FOUND {
  let node: Meta = root;
  for (const segment of path) {
    if (Array.isArray(node)) {
      const next: Meta | undefined = /^\d+$/.test(segment)
        ? node[Number(segment)]
        : node.find((item) => isMap(item) && item.name === segment);
      if (next === undefined) return NOT_FOUND;
      node = next;
    } else if (isMap(node)) {
      if (!Object.hasOwn(node, segment)) return NOT_FOUND;
      node = node[segment] as Meta;
    } else {
      return NOT_FOUND;
    }
  }
  return node;
}

/** Go's url.QueryEscape, which rancher-metadata applies to keys and names it lists. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Rancher's plain-text format: a scalar prints itself (null prints nothing); a map lists its keys
 * sorted, one a line, with a trailing `/` when the value is a map or list; a list prints one line
 * per item: `index=name` for items with a name, `index/` for other maps and lists, `index` for
 * scalars (whose value is then one path further).
 */
export function renderText(v: Meta): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) {
    let out = "";
    v.forEach((item, i) => {
      if (isMap(item) && typeof item.name === "string") out += `${i}=${queryEscape(item.name)}\n`;
      else if (item !== null && typeof item === "object") out += `${i}/\n`;
      else out += `${i}\n`;
    });
    return out;
  }
  const lines = Object.entries(v).map(([k, item]) =>
    item !== null && typeof item === "object" ? `${queryEscape(k)}/\n` : `${queryEscape(k)}\n`,
  );
  return lines.sort().join("");
}

/** Accepts free-form metadata (service `metadata`) that may hold values JSON cannot say. */
export function toMeta(v: unknown): Meta {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toMeta);
  if (typeof v === "object") {
    const out: { [key: string]: Meta } = {};
    for (const [k, item] of Object.entries(v)) out[k] = toMeta(item);
    return out;
  }
  return String(v);
}
