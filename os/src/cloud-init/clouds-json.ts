import {
  type Found,
  getJson,
  getResponse,
  getText,
  type HttpContext,
  keyLines,
  maskToPrefix,
  Unavailable,
} from "./metadata.ts";
import { decodeUserData } from "./user-data.ts";

/** Default metadata servers of the JSON-speaking clouds, from their documentation. */
export const jsonCloudDefaults: Record<string, string> = {
  gce: "http://metadata.google.internal",
  digitalocean: "http://169.254.169.254",
  azure: "http://169.254.169.254",
  packet: "https://metadata.platformequinix.com",
};

const bytesOf = async (r: Response | undefined) => (r ? new Uint8Array(await r.arrayBuffer()) : undefined);
const withData = (bytes: Uint8Array | undefined) => (bytes?.length ? { data: decodeUserData(bytes) } : {});

/**
 * Google Compute Engine: `computeMetadata/v1` with `Metadata-Flavor: Google` (the answer must carry
 * that header too, or it is not GCE). Keys are `user:key` lines of the instance and, unless it
 * blocks them, the project.
 */
export async function readGce(base: string, ctx: HttpContext): Promise<Found> {
  const h = { "Metadata-Flavor": "Google" };
  const v1 = `${base}/computeMetadata/v1`;
  const probe = await getResponse(ctx, `${v1}/instance/id`, h);
  if (probe?.headers.get("Metadata-Flavor") !== "Google")
    throw new Unavailable(`gce: ${v1} is not a GCE metadata server`);
  const attr = (scope: string, key: string) => getText(ctx, `${v1}/${scope}/attributes/${key}`, h);
  const ud = await bytesOf(await getResponse(ctx, `${v1}/instance/attributes/user-data`, h));
  const block = (await attr("instance", "block-project-ssh-keys"))?.trim() === "true";
  const lines = [
    ...keyLines(await attr("instance", "ssh-keys")),
    ...(block ? [] : keyLines(await attr("project", "ssh-keys"))),
  ];
  // `user:ssh-ed25519 AAAA... comment`: the user part is GCE's, the console user takes the key.
  const sshKeys = [...new Set(lines.map((l) => l.replace(/^[^:\s]+:/, "")))];
  const hostname = (await getText(ctx, `${v1}/instance/hostname`, h))?.trim();
  const nics =
    (await getJson<{ ip?: string; mac?: string }[]>(
      ctx,
      `${v1}/instance/network-interfaces/?recursive=true`,
      h,
    )) ?? [];
  const info: Record<string, string> = {};
  nics.forEach((n, i) => {
    if (n.ip) info[`nic${i}.ip`] = n.ip;
    if (n.mac) info[`nic${i}.mac`] = n.mac;
  });
  return {
    source: `gce (${base})`,
    ...withData(ud),
    sshKeys,
    ...(hostname ? { hostname } : {}),
    network: { interfaces: [], info },
  };
}

interface DoAddress {
  ip_address?: string;
  netmask?: string;
  cidr?: number;
  gateway?: string;
}
interface DoMetadata {
  droplet_id?: number;
  hostname?: string;
  user_data?: string;
  public_keys?: string[];
  interfaces?: Record<string, { mac?: string; ipv4?: DoAddress; ipv6?: DoAddress }[]>;
  dns?: { nameservers?: string[] };
}

/** DigitalOcean: `/metadata/v1.json`, whose interfaces (public, private) are configured statically by MAC. */
export async function readDigitalOcean(base: string, ctx: HttpContext): Promise<Found> {
  const m = await getJson<DoMetadata>(ctx, `${base}/metadata/v1.json`);
  if (!m?.droplet_id) throw new Unavailable(`digitalocean: ${base}/metadata/v1.json has no droplet_id`);
  const interfaces = Object.values(m.interfaces ?? {})
    .flat()
    .map((i) => {
      const v4 = i.ipv4;
      const v6 = i.ipv6;
      const prefix = v4?.netmask ? maskToPrefix(v4.netmask) : undefined;
      return {
        ...(i.mac ? { mac: i.mac } : {}),
        addresses: [
          ...(v4?.ip_address && prefix !== undefined ? [`${v4.ip_address}/${prefix}`] : []),
          ...(v6?.ip_address ? [`${v6.ip_address}/${v6.cidr ?? 64}`] : []),
        ],
        ...(v4?.gateway ? { gateway: v4.gateway } : {}),
        ...(v6?.gateway ? { gateway_ipv6: v6.gateway } : {}),
      };
    });
  return {
    source: `digitalocean (${base})`,
    ...withData(m.user_data ? new TextEncoder().encode(m.user_data) : undefined),
    sshKeys: (m.public_keys ?? []).flatMap((k) => keyLines(k)),
    ...(m.hostname ? { hostname: m.hostname } : {}),
    network: { interfaces, ...(m.dns?.nameservers ? { nameservers: m.dns.nameservers } : {}) },
  };
}

interface PacketMetadata {
  id?: string;
  hostname?: string;
  ssh_keys?: string[];
  network?: {
    bonding?: { mode?: number | string };
    interfaces?: { name?: string; mac?: string; bond?: string }[];
    addresses?: {
      address?: string;
      cidr?: number;
      gateway?: string;
      address_family?: number;
      public?: boolean;
    }[];
  };
}

/** Linux bonding mode names by number (Equinix gives the number; 4 is 802.3ad). */
const bondModes = [
  "balance-rr",
  "active-backup",
  "balance-xor",
  "broadcast",
  "802.3ad",
  "balance-tlb",
  "balance-alb",
];

/**
 * Equinix Metal (formerly Packet): `/metadata` JSON and `/userdata`. Its servers are bonded: the
 * slaves (by MAC) go into `bond0` with the cloud's mode, and the addresses go on the bond.
 */
export async function readPacket(base: string, ctx: HttpContext): Promise<Found> {
  const m = await getJson<PacketMetadata>(ctx, `${base}/metadata`);
  if (!m?.id) throw new Unavailable(`packet: ${base}/metadata has no id`);
  const ud = await bytesOf(await getResponse(ctx, `${base}/userdata`));
  const net = m.network ?? {};
  const mode = net.bonding?.mode;
  const modeName = typeof mode === "number" ? (bondModes[mode] ?? String(mode)) : (mode ?? "802.3ad");
  const slaves = (net.interfaces ?? []).filter((i) => i.bond);
  const bondNames = [...new Set(slaves.map((i) => i.bond as string))];
  const addrs = net.addresses ?? [];
  const v4 =
    addrs.find((a) => a.address_family !== 6 && a.public && a.gateway) ??
    addrs.find((a) => a.gateway && a.address_family !== 6);
  const v6 = addrs.find((a) => a.address_family === 6 && a.gateway);
  const bond = bondNames[0] ?? "bond0";
  return {
    source: `packet (${base})`,
    ...withData(ud),
    sshKeys: (m.ssh_keys ?? []).flatMap((k) => keyLines(k)),
    ...(m.hostname ? { hostname: m.hostname } : {}),
    network: {
      bonds: Object.fromEntries(bondNames.map((b) => [b, { mode: modeName }])),
      interfaces: [
        ...slaves.map((i) => ({
          ...(i.mac ? { mac: i.mac } : {}),
          ...(i.name ? { name: i.name } : {}),
          addresses: [],
          bond: i.bond as string,
        })),
        {
          name: bond,
          addresses: addrs
            .filter((a) => a.address && a.cidr !== undefined)
            .map((a) => `${a.address}/${a.cidr}`),
          ...(v4?.gateway ? { gateway: v4.gateway } : {}),
          ...(v6?.gateway ? { gateway_ipv6: v6.gateway } : {}),
        },
      ],
    },
  };
}
