/**
 * Reading `swanctl --list-sas --raw`: one `list-sa event {...}` line per IKE SA, in VICI's raw
 * text form, where a section is `name {...}`, a key/value is `key=value` and a list is
 * `key=[a b]`. The raw form is used because it is stable and has exact byte counters, where the
 * pretty form rounds and changes between versions.
 */

/** A parsed raw VICI section: values are strings, lists of strings, or sections. */
export interface ViciSection {
  [key: string]: string | string[] | ViciSection;
}

/** One CHILD_SA of an IKE SA. */
export interface ChildSa {
  name: string;
  uniqueId: number;
  /** The number tying the SA to its policies; ours are fixed per peer (config.ts peerReqids). */
  reqid: number;
  /** INSTALLED when traffic flows; REKEYING, CREATED, ... otherwise. */
  state: string;
  bytesIn: number;
  bytesOut: number;
}

/** One IKE SA as charon lists it. */
export interface IkeSa {
  /** The connection name (ours: `peer-<hostId>`). */
  name: string;
  uniqueId: number;
  /** ESTABLISHED, CONNECTING, REKEYING, DELETING, ... */
  state: string;
  /** True when this host initiated it. */
  initiator: boolean;
  /** Seconds since it was established (0 while connecting). */
  established: number;
  remoteHost: string;
  children: ChildSa[];
}

/** Splits raw text into tokens: `{`, `}`, `key=value`, `key=[a b]`, and bare names. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\{|\}|[^\s{}=[\]]+=\[[^\]]*\]|[^\s{}]+/g;
  for (const m of text.matchAll(re)) tokens.push(m[0]);
  return tokens;
}

/** Parses one `{ ... }` body starting after its `{`; returns the section and the next index. */
function parseBody(tokens: string[], start: number): [ViciSection, number] {
  const out: ViciSection = {};
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t === "}") return [out, i + 1];
    if (tokens[i + 1] === "{") {
      const [child, next] = parseBody(tokens, i + 2);
      out[t] = child;
      i = next;
      continue;
    }
    const eq = t.indexOf("=");
    if (eq > 0) {
      const value = t.slice(eq + 1);
      out[t.slice(0, eq)] = value.startsWith("[") ? value.slice(1, -1).split(/\s+/).filter(Boolean) : value;
    }
    i++;
  }
  return [out, i];
}

/** Parses every `<name> {...}` message of a raw dump, e.g. `list-sa event {...}`. */
export function parseRaw(text: string): Array<{ kind: string; body: ViciSection }> {
  const messages: Array<{ kind: string; body: ViciSection }> = [];
  for (const line of text.split("\n")) {
    const open = line.indexOf("{");
    if (open < 0) continue;
    const kind = line.slice(0, open).trim();
    const [body] = parseBody(tokenize(line.slice(open + 1)), 0);
    messages.push({ kind, body });
  }
  return messages;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => {
  const n = Number(str(v));
  return Number.isFinite(n) && n >= 0 ? n : 0;
};
const isSection = (v: unknown): v is ViciSection => typeof v === "object" && v !== null && !Array.isArray(v);

/** The IKE SAs of `swanctl --list-sas --raw` output; lines of any other kind are ignored. */
export function parseSas(text: string): IkeSa[] {
  const sas: IkeSa[] = [];
  for (const { kind, body } of parseRaw(text)) {
    if (kind !== "list-sa event") continue;
    for (const [name, sa] of Object.entries(body)) {
      // Connection names are plain words: anything else is a broken line, not an SA.
      if (!isSection(sa) || !/^[\w.-]+$/.test(name)) continue;
      const children: ChildSa[] = [];
      const childSas = sa["child-sas"];
      if (isSection(childSas))
        for (const child of Object.values(childSas)) {
          if (!isSection(child)) continue;
          children.push({
            name: str(child.name),
            uniqueId: num(child.uniqueid),
            reqid: num(child.reqid),
            state: str(child.state),
            bytesIn: num(child["bytes-in"]),
            bytesOut: num(child["bytes-out"]),
          });
        }
      sas.push({
        name,
        uniqueId: num(sa.uniqueid),
        state: str(sa.state),
        initiator: str(sa.initiator) === "yes",
        established: num(sa.established),
        remoteHost: str(sa["remote-host"]),
        children,
      });
    }
  }
  return sas;
}
