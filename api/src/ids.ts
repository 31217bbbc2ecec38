/**
 * Resource ids in the Rancher style: "1" + a short prefix for the type + a number from one global,
 * never reused sequence (for example `1a5` for a project, `1h3` for a host, `1i9` for a container).
 */
export const idPrefixes = {
  account: "a",
  project: "a",
  apiKey: "c",
  registrationToken: "c",
  host: "h",
  container: "i",
  stack: "st",
  service: "s",
  auditLog: "al",
  agent: "ag",
  certificate: "ce",
  volume: "v",
  projectMember: "pm",
  session: "se",
  // Rancher kept registries as storage pools (1sp) and their credentials as credentials (1c).
  registry: "sp",
  registryCredential: "c",
  secret: "sec",
  receiver: "wr",
  catalog: "ct",
} as const;

/** A type that has ids. */
export type IdType = keyof typeof idPrefixes;

/** Formats the public id of row `n` of type `type`. */
export function formatId(type: IdType, n: number): string {
  return `1${idPrefixes[type]}${n}`;
}

/** Parses a public id into its numeric row id, or returns null if it is not one of `type`'s ids. */
export function parseId(type: IdType, id: string): number | null {
  const prefix = `1${idPrefixes[type]}`;
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length);
  if (!/^[1-9][0-9]{0,14}$/.test(rest)) return null;
  return Number(rest);
}
