import { AndFilter, type Entry, EqualityFilter, type Filter, OrFilter } from "ldapts";

/** Attribute names that mean "the entry's own DN" (Rancher's openldap and AD defaults). */
const dnAttributes = new Set(["dn", "entrydn", "distinguishedname"]);

/** True when `name` stands for the entry's DN rather than a stored attribute. */
export function isDnAttribute(name: string): boolean {
  return dnAttributes.has(name.toLowerCase());
}

/** Every value of attribute `name` in `entry` as text (attribute names are case-insensitive). */
export function values(entry: Entry, name: string): string[] {
  if (name === "") return [];
  if (isDnAttribute(name)) return [entry.dn];
  const lower = name.toLowerCase();
  for (const [key, v] of Object.entries(entry)) {
    if (key.toLowerCase() !== lower || key === "dn") continue;
    return [v].flat().map((one) => (Buffer.isBuffer(one) ? one.toString("utf8") : String(one)));
  }
  return [];
}

/** The first value of `name`, if any. */
export function first(entry: Entry, name: string): string | undefined {
  return values(entry, name)[0];
}

/** The value of a DN's first RDN (`Alice` of `cn=Alice,ou=x`), a fallback display name. */
export function rdnValue(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,\\])*)/.exec(dn);
  return (m?.[1] ?? dn).replace(/\\(.)/g, "$1");
}

/** A DN reduced for comparison: lower case, no spaces around separators. */
export function dnKey(dn: string): string {
  return dn
    .toLowerCase()
    .replace(/\s*([,=+])\s*/g, "$1")
    .trim();
}

/**
 * `(&(objectClass=<cls>)(<attr>=<value>))`. Filters are built as objects, never by pasting text:
 * ldapts encodes each value as data on the wire, so `*`, `(` or `)` in input match only themselves.
 */
export function classAnd(objectClass: string, ...rest: Filter[]): Filter {
  return new AndFilter({
    filters: [new EqualityFilter({ attribute: "objectClass", value: objectClass }), ...rest],
  });
}

/** `(|(<attr>=<v1>)(<attr>=<v2>)...)` (a single equality for one value). */
export function anyEqual(attribute: string, vals: readonly string[]): Filter {
  const filters = vals.map((value) => new EqualityFilter({ attribute, value }));
  return filters.length === 1 ? filters[0]! : new OrFilter({ filters });
}
