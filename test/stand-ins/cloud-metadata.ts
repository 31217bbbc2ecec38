/**
 * STAND-INS for cloud metadata services (not the clouds themselves): a small HTTP server on a free
 * loopback port serving, for one cloud, the documented paths and payload shapes its instance
 * metadata service has, for tests only.
 *
 * - ec2: IMDSv2 only (`PUT /latest/api/token`, then `X-aws-ec2-metadata-token` on every GET, 401
 *   without), `/latest/meta-data/{instance-id,local-hostname,local-ipv4,public-ipv4,mac}`,
 *   `public-keys/` listing `0=name`, `public-keys/0/openssh-key`, `/latest/user-data`.
 * - aliyun: `/latest/meta-data/{instance-id,hostname}`, `public-keys/` listing `0/`, `/latest/user-data`.
 * - cloudstack: `/latest/meta-data/{instance-id,local-hostname,public-keys}` (keys listed directly).
 * - exoscale: the same under `/1.0/`.
 * - gce: `/computeMetadata/v1/...` requiring `Metadata-Flavor: Google` (403 without) and answering
 *   with it; `instance/{id,hostname,attributes/user-data,attributes/ssh-keys,network-interfaces/}`,
 *   `project/attributes/ssh-keys`.
 * - digitalocean: `/metadata/v1.json`.
 * - azure: `/metadata/instance` and `/metadata/instance/compute/userData` (base64, asked with
 *   `format=text`), requiring `Metadata: true` (400 without) and an `api-version`. The provisioning
 *   media's ovf-env.xml (CustomData, HostName, SSH keys) is {@link azureOvfEnv}.
 * - packet: `/metadata` and `/userdata` (Equinix Metal).
 * - openstack: `/openstack/latest/{meta_data.json,user_data,network_data.json}`.
 *
 * A 404 answers anything else (and user-data when the fixture has none); `failFirst` answers 503 to
 * that many requests first, as a metadata service still starting does.
 */

/** What the instance is: the same fixture drives every cloud's payloads. */
export interface CloudFixture {
  userData?: string | Uint8Array;
  hostname: string;
  keys: string[];
  mac: string;
  ipv4: string;
  /** Prefix length of ipv4. */
  prefix: number;
  gateway: string;
  nameservers: string[];
  /** Packet: the bonded NICs' MACs. */
  slaveMacs?: string[];
  /** Azure: the userData text IMDS answers instead of the base64 of userData (garbage tests). */
  azureUserDataText?: string;
}

/** A running stand-in. */
export interface CloudStandIn {
  url: string;
  /** Every request as `METHOD path`. */
  requests: string[];
  stop(): Promise<void>;
}

const prefixToMask = (p: number) =>
  [0, 8, 16, 24].map((s) => ((0xffffffff << (32 - p)) >>> (24 - s)) & 0xff).join(".");

type Route = (req: Request, path: string) => Response | undefined;

function text(body: string | Uint8Array | undefined, headers: Record<string, string> = {}): Response {
  return body === undefined ? new Response("not found", { status: 404 }) : new Response(body, { headers });
}

function ec2Style(
  f: CloudFixture,
  version: string,
  hostKey: string,
  keys: "indexed-eq" | "indexed-slash" | "direct",
): Route {
  return (_req, path) => {
    const meta = `/${version}/meta-data/`;
    if (path === `/${version}/user-data`) return text(f.userData);
    if (!path.startsWith(meta)) return undefined;
    const k = path.slice(meta.length);
    const values: Record<string, string> = {
      "instance-id": "i-0standin",
      [hostKey]: f.hostname,
      "local-ipv4": f.ipv4,
      "public-ipv4": "203.0.113.7",
      mac: f.mac,
    };
    if (values[k] !== undefined) return text(values[k]);
    if (keys === "direct" && k === "public-keys") return text(f.keys.join("\n"));
    if (keys !== "direct" && k === "public-keys/")
      return text(f.keys.map((_, i) => (keys === "indexed-eq" ? `${i}=key${i}` : `${i}/`)).join("\n"));
    const m = /^public-keys\/(\d+)\/openssh-key$/.exec(k);
    if (keys !== "direct" && m) return text(f.keys[Number(m[1])]);
    return undefined;
  };
}

function routes(cloud: string, f: CloudFixture): Route {
  switch (cloud) {
    case "ec2": {
      const inner = ec2Style(f, "latest", "local-hostname", "indexed-eq");
      return (req, path) => {
        if (req.method === "PUT" && path === "/latest/api/token") {
          if (!req.headers.get("X-aws-ec2-metadata-token-ttl-seconds"))
            return new Response("", { status: 400 });
          return text("standin-token");
        }
        if (req.headers.get("X-aws-ec2-metadata-token") !== "standin-token")
          return new Response("", { status: 401 });
        return inner(req, path);
      };
    }
    case "aliyun":
      return ec2Style(f, "latest", "hostname", "indexed-slash");
    case "cloudstack":
      return ec2Style(f, "latest", "local-hostname", "direct");
    case "exoscale":
      return ec2Style(f, "1.0", "local-hostname", "direct");
    case "gce":
      return (req, path) => {
        if (req.headers.get("Metadata-Flavor") !== "Google") return new Response("", { status: 403 });
        const h = { "Metadata-Flavor": "Google" };
        const v1 = "/computeMetadata/v1/";
        const k = path.startsWith(v1) ? path.slice(v1.length) : "";
        const values: Record<string, string | Uint8Array | undefined> = {
          "instance/id": "1234567890",
          "instance/hostname": f.hostname,
          "instance/attributes/user-data": f.userData,
          "instance/attributes/ssh-keys": f.keys
            .slice(0, 1)
            .map((key) => `corral:${key}`)
            .join("\n"),
          "project/attributes/ssh-keys": f.keys
            .slice(1)
            .map((key) => `ops:${key}`)
            .join("\n"),
          "instance/network-interfaces/": JSON.stringify([{ ip: f.ipv4, mac: f.mac, gateway: f.gateway }]),
        };
        return k in values ? text(values[k], h) : undefined;
      };
    case "digitalocean":
      return (_req, path) =>
        path === "/metadata/v1.json"
          ? Response.json({
              droplet_id: 42,
              hostname: f.hostname,
              public_keys: f.keys,
              ...(f.userData !== undefined
                ? {
                    user_data: new TextDecoder().decode(
                      typeof f.userData === "string" ? new TextEncoder().encode(f.userData) : f.userData,
                    ),
                  }
                : {}),
              interfaces: {
                public: [
                  {
                    mac: f.mac,
                    type: "public",
                    ipv4: { ip_address: f.ipv4, netmask: prefixToMask(f.prefix), gateway: f.gateway },
                  },
                ],
              },
              dns: { nameservers: f.nameservers },
            })
          : undefined;
    case "azure":
      return (req, path) => {
        const url = new URL(req.url);
        if (req.headers.get("Metadata") !== "true" || !url.searchParams.get("api-version"))
          return new Response(JSON.stringify({ error: "Bad request" }), { status: 400 });
        if (path === "/metadata/instance")
          return Response.json({
            compute: {
              name: f.hostname,
              osProfile: { computerName: f.hostname },
              publicKeys: f.keys.map((k) => ({ keyData: k, path: "/home/x/.ssh/authorized_keys" })),
            },
            network: {
              interface: [
                {
                  macAddress: f.mac.replaceAll(":", "").toUpperCase(),
                  ipv4: { ipAddress: [{ privateIpAddress: f.ipv4, publicIpAddress: "" }] },
                },
              ],
            },
          });
        if (path === "/metadata/instance/compute/userData") {
          if (url.searchParams.get("format") !== "text")
            return new Response(JSON.stringify({ error: "format=text required" }), { status: 400 });
          if (f.azureUserDataText !== undefined) return text(f.azureUserDataText);
          return text(f.userData === undefined ? "" : Buffer.from(f.userData).toString("base64"));
        }
        return undefined;
      };
    case "packet":
      return (_req, path) => {
        if (path === "/userdata") return text(f.userData);
        if (path !== "/metadata") return undefined;
        return Response.json({
          id: "0b7f-standin",
          hostname: f.hostname,
          ssh_keys: f.keys,
          network: {
            bonding: { mode: 4 },
            interfaces: (f.slaveMacs ?? []).map((mac, i) => ({ name: `eth${i}`, mac, bond: "bond0" })),
            addresses: [
              {
                address: f.ipv4,
                cidr: f.prefix,
                gateway: f.gateway,
                address_family: 4,
                public: true,
                management: true,
              },
            ],
          },
        });
      };
    case "openstack":
      return (_req, path) => {
        const r = "/openstack/latest/";
        if (path === `${r}meta_data.json`)
          return Response.json({
            uuid: "9a1f-standin",
            hostname: f.hostname,
            name: f.hostname,
            public_keys: Object.fromEntries(f.keys.map((k, i) => [`key${i}`, k])),
          });
        if (path === `${r}user_data`) return text(f.userData);
        if (path === `${r}network_data.json`)
          return Response.json({
            links: [{ id: "tap1", type: "ovs", ethernet_mac_address: f.mac, mtu: 1450 }],
            networks: [
              {
                id: "network0",
                link: "tap1",
                type: "ipv4",
                ip_address: f.ipv4,
                netmask: prefixToMask(f.prefix),
                routes: [{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: f.gateway }],
              },
            ],
            services: f.nameservers.map((address) => ({ type: "dns", address })),
          });
        return undefined;
      };
    default:
      throw new Error(`no stand-in for ${cloud}`);
  }
}

/** Starts the stand-in of `cloud` on a free loopback port. */
export function startCloudStandIn(
  cloud: string,
  fixture: CloudFixture,
  options: { failFirst?: number } = {},
): CloudStandIn {
  const route = routes(cloud, fixture);
  const requests: string[] = [];
  let failures = options.failFirst ?? 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(`${req.method} ${path}`);
      if (failures > 0) {
        failures--;
        return new Response("starting", { status: 503 });
      }
      return route(req, path) ?? new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

/**
 * ovf-env.xml as Azure's provisioning media carries it: an OVF Environment whose
 * ProvisioningSection holds a LinuxProvisioningConfigurationSet (namespace prefixes as Azure writes
 * them; the namespace URIs stand-ins, which the reader ignores) with HostName, UserName, SSH public keys (one by value, one by fingerprint only) and
 * CustomData, the base64 of the fixture's user-data (or `customData` verbatim when given).
 */
export function azureOvfEnv(f: CloudFixture, customData?: string): string {
  const custom = customData ?? (f.userData === undefined ? "" : Buffer.from(f.userData).toString("base64"));
  const keys = f.keys
    .map(
      (k, i) => `          <ns1:PublicKey>
            <ns1:Fingerprint>${"AB".repeat(20)}</ns1:Fingerprint>
            <ns1:Path>/home/azureuser/.ssh/authorized_keys</ns1:Path>
            ${i === 0 ? `<ns1:Value>${k}</ns1:Value>` : ""}
          </ns1:PublicKey>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<ns0:Environment xmlns="urn:ovf-environment-1" xmlns:ns0="urn:ovf-environment-1" xmlns:ns1="urn:windowsazure" xmlns:i="urn:xml-schema-instance">
  <ns1:ProvisioningSection>
    <ns1:Version>1.0</ns1:Version>
    <ns1:LinuxProvisioningConfigurationSet>
      <ns1:ConfigurationSetType>LinuxProvisioningConfiguration</ns1:ConfigurationSetType>
      <ns1:HostName>${f.hostname}</ns1:HostName>
      <ns1:UserName>azureuser</ns1:UserName>
      <ns1:DisableSshPasswordAuthentication>true</ns1:DisableSshPasswordAuthentication>
      <ns1:SSH>
        <ns1:PublicKeys>
${keys}
        </ns1:PublicKeys>
      </ns1:SSH>
      <ns1:CustomData>${custom}</ns1:CustomData>
    </ns1:LinuxProvisioningConfigurationSet>
  </ns1:ProvisioningSection>
  <ns1:PlatformSettingsSection>
    <ns1:Version>1.0</ns1:Version>
    <ns1:PlatformSettings>
      <ns1:ProvisionGuestAgent>false</ns1:ProvisionGuestAgent>
      <ns1:GuestAgentPackageName i:nil="true" />
    </ns1:PlatformSettings>
  </ns1:PlatformSettingsSection>
</ns0:Environment>
`;
}
