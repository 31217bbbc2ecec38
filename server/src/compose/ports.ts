import type { FileReporter } from "./issues.ts";
import { asInt, asSeq, asString, typeName } from "./values.ts";
import { entry, type YMap, type YNode } from "./yaml-tree.ts";

/** An inclusive port range; a single port is a range of one. */
interface Range {
  from: number;
  to: number;
}

function parseRange(text: string): Range | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return { from, to };
}

function protocolOf(r: FileReporter, n: YNode, proto: string | undefined): string | undefined {
  const p = (proto ?? "tcp").toLowerCase();
  if (p === "tcp" || p === "udp" || p === "sctp") return p;
  r.error(n, `unknown protocol "${proto}" (tcp, udp or sctp)`);
  return undefined;
}

/**
 * Expands one short-syntax port ("80", "8080:80", "127.0.0.1:8080:80/udp", "8000-8001:80-81",
 * "127.0.0.1::80") into Rancher's normalized strings "[ip:][public:]private/proto", one per port.
 */
export function shortPort(r: FileReporter, n: YNode, text: string): string[] {
  const bad = (why: string): string[] => {
    r.error(n, `invalid port "${text}": ${why}`);
    return [];
  };
  const [spec = "", proto, extra] = text.split("/");
  if (extra !== undefined) return bad("too many '/'");
  const protocol = protocolOf(r, n, proto);
  if (!protocol) return [];
  // An IPv6 host address is bracketed; split it off before splitting on ':'.
  let ip = "";
  let rest = spec;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(spec);
  if (v6) {
    ip = `[${v6[1]}]`;
    rest = v6[2] ?? "";
  }
  const parts = rest.split(":");
  if (!v6 && parts.length === 3) ip = parts.shift() ?? "";
  if (parts.length > 2 || (v6 && parts.length !== 2)) return bad("expected [ip:][host:]container");
  const container = parseRange(parts.at(-1) ?? "");
  if (!container) return bad("container port must be 1-65535 or a range like 80-81");
  const hostText = parts.length === 2 ? (parts[0] ?? "") : "";
  const host = hostText === "" ? undefined : parseRange(hostText);
  if (hostText !== "" && !host) return bad("host port must be 1-65535 or a range like 8000-8001");
  const count = container.to - container.from + 1;
  if (host && host.to - host.from + 1 !== count) return bad("host and container ranges differ in length");
  const prefix = ip ? `${ip}:` : "";
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = container.from + i;
    if (host) out.push(`${prefix}${host.from + i}:${c}/${protocol}`);
    else out.push(ip ? `${prefix}:${c}/${protocol}` : `${c}/${protocol}`);
  }
  return out;
}

/** The v3 long syntax: {target, published, protocol, host_ip, mode}. */
function longPort(r: FileReporter, m: YMap): string[] {
  for (const e of m.entries) {
    if (!["target", "published", "protocol", "host_ip", "mode", "name", "app_protocol"].includes(e.key))
      r.error({ pos: e.keyPos, path: e.value.path }, `unknown port key "${e.key}"`);
  }
  const target = entry(m, "target");
  if (!target) {
    r.error(m, "a port needs a target (the container port)");
    return [];
  }
  const t = asInt(r, target.value, 1, 65535);
  const published = entry(m, "published");
  const pub = published ? asString(r, published.value) : undefined;
  const proto = entry(m, "protocol");
  const protoText = proto ? asString(r, proto.value) : undefined;
  const hostIp = entry(m, "host_ip");
  const ip = hostIp ? asString(r, hostIp.value) : undefined;
  if (t === undefined) return [];
  const ipPart = ip ? `${ip.includes(":") ? `[${ip}]` : ip}:` : "";
  return shortPort(r, m, `${ipPart}${pub ?? ""}${pub || ip ? ":" : ""}${t}/${protoText ?? "tcp"}`);
}

/** `ports:` in either syntax. */
export function parsePorts(r: FileReporter, n: YNode): string[] {
  const s = asSeq(r, n);
  if (!s) return [];
  const out: string[] = [];
  for (const it of s.items) {
    if (it.kind === "map") out.push(...longPort(r, it));
    else if (it.kind === "scalar" && (typeof it.value === "string" || typeof it.value === "number"))
      out.push(...shortPort(r, it, String(it.value)));
    else r.error(it, `a port must be a string like "8080:80" or a mapping, not ${typeName(it)}`);
  }
  return out;
}

/** `expose:` ("3000", "3000-3001", "53/udp"), normalized to "port/proto" one per port. */
export function parseExpose(r: FileReporter, n: YNode): string[] {
  const s = asSeq(r, n);
  if (!s) return [];
  const out: string[] = [];
  for (const it of s.items) {
    const text = asString(r, it);
    if (text === undefined) continue;
    if (text.includes(":")) r.error(it, `invalid expose "${text}": expose takes container ports only`);
    else out.push(...shortPort(r, it, text));
  }
  return out;
}
