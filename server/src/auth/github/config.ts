import { z } from "zod";

const hostPattern =
  /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/;
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);
const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function required(field: string, what: string) {
  const message = `${field} is required (${what})`;
  return z
    .string({ error: message })
    .trim()
    .min(1, message)
    .max(512, `${field} is longer than 512 characters`);
}

/**
 * A `githubconfig` as Rancher 1.6 had it: the OAuth app's `clientId` and `clientSecret`, and for
 * GitHub Enterprise its `hostname` (host[:port]; empty means github.com) and `scheme` (`https://`
 * or, on loopback only, `http://`; Rancher's form with `://` and the bare word are both taken).
 * `certificate` is the PEM CA of an Enterprise server with a private certificate.
 */
export const githubConfigSchema = z
  .object({
    clientId: required("clientId", "the OAuth app's client id"),
    clientSecret: required("clientSecret", "the OAuth app's client secret"),
    hostname: z
      .string({ error: "hostname must be a string" })
      .trim()
      .toLowerCase()
      .max(260)
      .refine(
        (v) => v === "" || hostPattern.test(v),
        "hostname must be a host name with an optional port, without scheme or path (e.g. github.example.com), or empty for github.com",
      )
      .default(""),
    scheme: z
      .string({ error: "scheme must be a string" })
      .trim()
      .toLowerCase()
      .transform((v) => (v === "" ? "https://" : v.endsWith("://") ? v : `${v}://`))
      .refine((v) => v === "https://" || v === "http://", "scheme must be https:// or http://")
      .default("https://"),
    certificate: z
      .string({ error: "certificate must be a PEM string" })
      .trim()
      .max(256 * 1024)
      .refine(
        (v) => v === "" || pemCertificate.test(v),
        "certificate must be PEM (-----BEGIN CERTIFICATE-----)",
      )
      .optional(),
  })
  .superRefine((c, ctx) => {
    const host = c.hostname.replace(/:\d+$/, "");
    if (c.hostname && c.scheme === "http://" && !loopbackHosts.has(host)) {
      ctx.addIssue({
        code: "custom",
        path: ["scheme"],
        message:
          "scheme http:// is only allowed for a loopback hostname: the client secret and tokens would cross the network in clear",
      });
    }
  });

/** A parsed `githubconfig`. */
export type GithubConfig = z.infer<typeof githubConfigSchema>;

/** Where a GitHub lives: its web root (OAuth pages) and its REST API root. */
export interface GithubEndpoints {
  web: string;
  api: string;
}

/** github.com's two hosts, or an Enterprise server's one host with the API under `/api/v3`. */
export function githubEndpoints(config: GithubConfig): GithubEndpoints {
  if (!config.hostname) return { web: "https://github.com", api: "https://api.github.com" };
  const web = `${config.scheme}${config.hostname}`;
  return { web, api: `${web}/api/v3` };
}
