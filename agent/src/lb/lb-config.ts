import { z } from "zod";

/**
 * The load balancer's `lbConfig` as the agent reads it. The server validates it on the way in;
 * the agent still parses it leniently (a rule it cannot use is dropped with a warning, never a
 * crash), because an older or newer server may send fields this agent does not know.
 */

/** Protocols of a port rule (Rancher's names; udp is unsupported, as in Rancher). */
export const lbProtocols = ["http", "tcp", "https", "tls", "sni"] as const;
/** A port rule's protocol. */
export type LbProtocol = (typeof lbProtocols)[number];

const port = z.coerce.number().int().min(1).max(65535);

/** One port rule, camelCase as the API carries it. */
export const portRuleSchema = z.object({
  sourcePort: port,
  targetPort: port.optional(),
  protocol: z.enum(lbProtocols).default("http"),
  hostname: z.string().max(253).optional().nullable(),
  path: z.string().max(1024).optional().nullable(),
  priority: z.coerce.number().int().optional().nullable(),
  serviceId: z.string().optional().nullable(),
  selector: z.string().max(1024).optional().nullable(),
  backendName: z.string().max(128).optional().nullable(),
});
/** One port rule. */
export type PortRule = z.infer<typeof portRuleSchema>;

/** Cookie stickiness (Rancher's `stickiness_policy`). */
export const stickinessSchema = z.object({
  name: z.string().optional().nullable(),
  cookie: z.string().optional().nullable(),
  domain: z.string().optional().nullable(),
  mode: z.enum(["insert", "rewrite", "prefix"]).optional().nullable(),
  indirect: z.boolean().optional().nullable(),
  nocache: z.boolean().optional().nullable(),
  postonly: z.boolean().optional().nullable(),
});
/** Cookie stickiness. */
export type Stickiness = z.infer<typeof stickinessSchema>;

/** What the renderer uses of a load balancer's configuration. */
export interface LbConfig {
  portRules: PortRule[];
  /** Certificate ids served by SNI. */
  certificateIds: string[];
  defaultCertificateId: string | null;
  /** Certificate names (rancher-compose `certs`, `default_cert`), resolved against the host's certificates. */
  certificateNames: string[];
  defaultCertificateName: string | null;
  stickiness: Stickiness | null;
  /** Custom haproxy.cfg text merged over the generated config. */
  custom: string;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

const optionalString = (value: unknown): string | null =>
  typeof value === "string" && value !== "" ? value : null;

/** Reads an lbConfig record; `warn` receives one message per part it had to drop. */
export function parseLbConfig(
  raw: Record<string, unknown> | null,
  warn: (message: string) => void,
): LbConfig {
  const value = raw ?? {};
  const rules: PortRule[] = [];
  const rawRules = Array.isArray(value.portRules) ? value.portRules : [];
  rawRules.forEach((rule, i) => {
    const parsed = portRuleSchema.safeParse(rule);
    if (parsed.success) rules.push(parsed.data);
    else warn(`port rule ${i} ignored: ${parsed.error.issues.map((x) => x.message).join("; ")}`);
  });
  let stickiness: Stickiness | null = null;
  if (value.stickinessPolicy) {
    const parsed = stickinessSchema.safeParse(value.stickinessPolicy);
    if (parsed.success) stickiness = parsed.data;
    else warn("stickinessPolicy ignored: not a valid policy");
  }
  return {
    portRules: rules,
    certificateIds: strings(value.certificateIds),
    defaultCertificateId: optionalString(value.defaultCertificateId),
    certificateNames: strings(value.certs),
    defaultCertificateName: optionalString(value.defaultCert),
    stickiness,
    custom: typeof value.config === "string" ? value.config : "",
  };
}
