import { ipv4ToInt } from "../network/cidr.ts";

/** One published port of a container, parsed from "[ip:]public:private/proto". */
export interface PortSpec {
  /** The host address it is published on; undefined for every local address. */
  bindIp?: string;
  /** The public port; 0 asks for a random port from the host's range. */
  publicPort: number;
  privatePort: number;
  protocol: "tcp" | "udp";
}

/** A port number 1..65535, or null. */
function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const value = Number(text);
  return value >= 1 && value <= 65535 ? value : null;
}

/**
 * Parses a published port as Rancher writes it: "8080:80/tcp", "80/udp" (random public port),
 * "0:80", "127.0.0.1:8080:80", "127.0.0.1::80"; tcp when no protocol is given. Null when the text
 * is none of these (ranges included: the server expands them before sending).
 */
export function parsePortSpec(text: string): PortSpec | null {
  const slash = text.lastIndexOf("/");
  const protoText = slash >= 0 ? text.slice(slash + 1).toLowerCase() : "tcp";
  if (protoText !== "tcp" && protoText !== "udp") return null;
  const parts = (slash >= 0 ? text.slice(0, slash) : text).trim().split(":");
  let bindIp: string | undefined;
  let publicText = "";
  let privateText: string;
  if (parts.length === 1) privateText = parts[0]!;
  else if (parts.length === 2) [publicText, privateText] = parts as [string, string];
  else if (parts.length === 3) {
    [bindIp, publicText, privateText] = parts as [string, string, string];
    if (ipv4ToInt(bindIp) === null) return null;
    // 0.0.0.0 means every address, the same as no address at all.
    if (bindIp === "0.0.0.0") bindIp = undefined;
  } else return null;
  const privatePort = port(privateText);
  const publicPort = publicText === "" || publicText === "0" ? 0 : port(publicText);
  if (privatePort === null || publicPort === null) return null;
  return { ...(bindIp && { bindIp }), publicPort, privatePort, protocol: protoText };
}
