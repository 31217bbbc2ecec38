import { type Found, getResponse, getText, type HttpContext, keyLines, Unavailable } from "./metadata.ts";
import { decodeUserData } from "./user-data.ts";

/** How one EC2-style metadata service differs from EC2's (paths, key listing, token). */
interface Ec2Style {
  name: string;
  /** The version segment: `latest`, or `1.0` (Exoscale). */
  version: string;
  /** The meta-data key holding the hostname. */
  hostnameKey: string;
  /**
   * How public keys are listed: `indexed` (EC2, Aliyun, OpenStack: `public-keys/` lists `0=name`
   * or `0/`, each key at `public-keys/<i>/openssh-key`), or `direct` (CloudStack, Exoscale: the
   * keys themselves, one per line).
   */
  keys: "indexed" | "direct";
  /** IMDSv2: ask for a session token first (EC2; others ignore the PUT or 404/405 it). */
  token?: boolean;
}

const styles: Record<string, Ec2Style> = {
  ec2: { name: "ec2", version: "latest", hostnameKey: "local-hostname", keys: "indexed", token: true },
  aliyun: { name: "aliyun", version: "latest", hostnameKey: "hostname", keys: "indexed" },
  cloudstack: { name: "cloudstack", version: "latest", hostnameKey: "local-hostname", keys: "direct" },
  exoscale: { name: "exoscale", version: "1.0", hostnameKey: "local-hostname", keys: "direct" },
};

/** Default metadata servers, from each cloud's documentation. CloudStack's is its virtual router. */
export const ec2StyleDefaults: Record<string, string> = {
  ec2: "http://169.254.169.254",
  aliyun: "http://100.100.100.200",
  exoscale: "http://169.254.169.254",
  cloudstack: "http://data-server.",
};

/** IMDSv2 session token, or no headers when the server does not hand one out (IMDSv1 then). */
async function tokenHeaders(ctx: HttpContext, base: string): Promise<Record<string, string>> {
  try {
    const token = await getText(
      ctx,
      `${base}/latest/api/token`,
      { "X-aws-ec2-metadata-token-ttl-seconds": "21600" },
      "PUT",
    );
    return token ? { "X-aws-ec2-metadata-token": token.trim() } : {};
  } catch (e) {
    if (e instanceof Unavailable) throw e;
    return {};
  }
}

async function indexedKeys(
  ctx: HttpContext,
  meta: string,
  headers: Record<string, string>,
): Promise<string[]> {
  const list = await getText(ctx, `${meta}/public-keys/`, headers);
  const keys: string[] = [];
  for (const line of keyLines(list)) {
    const index = line.split(/[=/]/)[0] ?? "";
    if (!/^\d+$/.test(index)) continue;
    keys.push(...keyLines(await getText(ctx, `${meta}/public-keys/${index}/openssh-key`, headers)));
  }
  return keys;
}

/**
 * Reads an EC2-style metadata service (EC2, Aliyun, CloudStack, Exoscale): `instance-id` must
 * answer (that is what "available" means), then user-data, hostname, public keys, and the
 * addresses the cloud reports (informational: these clouds hand them out by DHCP).
 */
export async function readEc2Style(cloud: string, base: string, ctx: HttpContext): Promise<Found> {
  const style = styles[cloud];
  if (!style) throw new Error(`unknown EC2-style datasource ${cloud}`);
  const headers = style.token ? await tokenHeaders(ctx, base) : {};
  const root = `${base}/${style.version}`;
  const meta = `${root}/meta-data`;
  const id = await getText(ctx, `${meta}/instance-id`, headers);
  if (id === undefined) throw new Unavailable(`${cloud}: ${meta}/instance-id not found`);
  const ud = await getResponse(ctx, `${root}/user-data`, headers);
  const hostname = (await getText(ctx, `${meta}/${style.hostnameKey}`, headers))?.trim();
  const sshKeys =
    style.keys === "indexed"
      ? await indexedKeys(ctx, meta, headers)
      : keyLines(await getText(ctx, `${meta}/public-keys`, headers));
  const info: Record<string, string> = { "instance-id": id.trim() };
  for (const key of ["local-ipv4", "public-ipv4", "mac"]) {
    const v = await getText(ctx, `${meta}/${key}`, headers).catch(() => undefined);
    if (v) info[key] = v.trim();
  }
  const bytes = ud ? new Uint8Array(await ud.arrayBuffer()) : undefined;
  return {
    source: `${cloud} (${base})`,
    ...(bytes?.length ? { data: decodeUserData(bytes) } : {}),
    sshKeys,
    ...(hostname ? { hostname } : {}),
    network: { interfaces: [], info },
  };
}
