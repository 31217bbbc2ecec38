import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { Host } from "../system/host.ts";
import { type Found, type InterfaceMeta, Unavailable } from "./metadata.ts";
import { decodeUserData } from "./user-data.ts";

/** Reads one guestinfo key; undefined when the key is not set. */
export type GuestInfo = (key: string) => Promise<string | undefined>;

/**
 * guestinfo through VMware Tools' RPC: `vmware-rpctool "info-get guestinfo.<key>"`, else
 * `vmtoolsd --cmd ...` (open-vm-tools ships both). Both exit non-zero for an unset key and outside
 * VMware; with neither program installed the datasource is unavailable.
 */
export function rpcGuestInfo(host: Host): GuestInfo {
  let tool: "vmware-rpctool" | "vmtoolsd" | undefined;
  return async (key) => {
    const cmd = `info-get guestinfo.${key}`;
    for (const t of tool ? [tool] : (["vmware-rpctool", "vmtoolsd"] as const)) {
      try {
        const out = await host.run(t, t === "vmtoolsd" ? ["--cmd", cmd] : [cmd], { timeoutMs: 5000 });
        tool = t;
        return out;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/ENOENT|not found|No such file/i.test(msg) && !tool) continue;
        tool = t;
        return undefined;
      }
    }
    throw new Unavailable("vmware: neither vmware-rpctool nor vmtoolsd is installed");
  };
}

/**
 * guestinfo from a file in .vmx syntax (`guestinfo.key = "value"`): the configured source for
 * machines without VMware Tools (`vmware:/path`), and what a test hands in.
 */
export function fileGuestInfo(path: string): GuestInfo {
  return async (key) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw new Unavailable(`vmware: ${path} not readable`);
    }
    for (const line of text.split("\n")) {
      const m = /^\s*guestinfo\.([^\s=]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
      if (m && m[1] === key) return m[2];
    }
    return undefined;
  };
}

/** Decodes guestinfo data per its `.encoding` key: base64 (`b64`), gzip+base64 (`gz+b64`), or plain. */
function decodeGuestData(value: string, encoding: string | undefined): Uint8Array {
  const enc = (encoding ?? "").toLowerCase();
  if (enc === "" || enc === "text/plain") return new TextEncoder().encode(value);
  const bytes = Buffer.from(value, "base64");
  return enc.startsWith("gz") ? gunzipSync(bytes) : bytes;
}

/**
 * The VMware datasource with RancherOS's keys (`cloud-init.config.data` + `cloud-init.data.encoding`,
 * `hostname`, `interface.<n>.{name,mac,dhcp,ip.<m>.address,route.<m>.gateway}`, `dns.server.<n>`),
 * and cloud-init's newer `userdata` + `userdata.encoding`.
 */
export async function readVmware(read: GuestInfo, source: string): Promise<Found> {
  const get = async (k: string) => (await read(k))?.trim() || undefined;
  let raw = await get("cloud-init.config.data");
  let encoding = await get("cloud-init.data.encoding");
  if (!raw) {
    raw = await get("userdata");
    encoding = await get("userdata.encoding");
  }
  const hostname = await get("hostname");
  const interfaces: InterfaceMeta[] = [];
  for (let n = 0; n < 16; n++) {
    const p = `interface.${n}`;
    const name = await get(`${p}.name`);
    const mac = await get(`${p}.mac`);
    if (!name && !mac) break;
    const i: InterfaceMeta = {
      addresses: [],
      ...(name ? { name } : {}),
      ...(mac ? { mac: mac.toLowerCase() } : {}),
    };
    if (/^(yes|true)$/i.test((await get(`${p}.dhcp`)) ?? "")) i.dhcp = true;
    for (let m = 0; m < 8; m++) {
      const a = await get(`${p}.ip.${m}.address`);
      if (!a) break;
      i.addresses.push(a);
    }
    const gw = await get(`${p}.route.0.gateway`);
    if (gw) i[gw.includes(":") ? "gateway_ipv6" : "gateway"] = gw;
    interfaces.push(i);
  }
  const nameservers: string[] = [];
  for (let n = 0; n < 8; n++) {
    const s = await get(`dns.server.${n}`);
    if (!s) break;
    nameservers.push(s);
  }
  if (!raw && !hostname && interfaces.length === 0)
    throw new Unavailable("vmware: no guestinfo cloud-init data, hostname or interfaces");
  const bytes = raw ? decodeGuestData(raw, encoding) : undefined;
  return {
    source,
    ...(bytes?.length ? { data: decodeUserData(bytes) } : {}),
    sshKeys: [],
    ...(hostname ? { hostname } : {}),
    ...(interfaces.length || nameservers.length
      ? { network: { interfaces, ...(nameservers.length ? { nameservers } : {}) } }
      : {}),
  };
}
