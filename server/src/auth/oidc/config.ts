import { z } from "zod";

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The issuer: an https URL (http only on loopback), no query or fragment, as discovery needs. */
const issuerSchema = z
  .string({ error: "issuer is required (the provider's issuer URL)" })
  .trim()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `issuer ${JSON.stringify(value)} is not a URL` });
      return;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHosts.has(url.hostname))) {
      ctx.addIssue({ code: "custom", message: "issuer must be an https URL (plain http only on loopback)" });
    }
    if (url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "issuer must not carry a query, fragment or credentials" });
    }
  });

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * An `oidcconfig` as the API receives it: a generic OpenID Connect provider (Keycloak, Dex,
 * GitLab, Google, ...). `clientSecret` may be empty for a public client (PKCE alone then protects
 * the code); `scopes` is space-separated and defaults to `openid profile email`, plus `groups` when
 * a groups claim is read and the issuer lists a `groups` scope; `groupsClaim` names the claim listing the user's groups (a dotted path
 * such as `realm_access.roles` reaches into an object; empty reads no groups); `certificate` is
 * the PEM CA bundle of a private issuer, trusted beside the system's CAs.
 */
export const oidcConfigSchema = z.object({
  issuer: issuerSchema,
  clientId: z
    .string({ error: "clientId is required (the client id registered at the provider)" })
    .trim()
    .min(1, "clientId is required (the client id registered at the provider)")
    .max(512, "clientId is longer than 512 characters"),
  clientSecret: z.string({ error: "clientSecret must be a string" }).max(4096).default(""),
  scopes: z
    .string({ error: "scopes must be a space-separated string" })
    .trim()
    .max(1024)
    .regex(/^[\x21\x23-\x5b\x5d-\x7e ]*$/, "scopes must be space-separated scope names")
    .optional(),
  groupsClaim: z
    .string({ error: "groupsClaim must be a string" })
    .trim()
    .max(256)
    .regex(/^[A-Za-z0-9_:/.-]*$/, "groupsClaim must be a claim name (letters, digits, _ : / . -)")
    .default("groups"),
  certificate: z
    .string({ error: "certificate must be a PEM string" })
    .trim()
    .max(256 * 1024)
    .refine(
      (v) => v === "" || pemCertificate.test(v),
      "certificate must be PEM (-----BEGIN CERTIFICATE-----)",
    )
    .optional(),
});

/** A parsed `oidcconfig`. */
export type OidcConfig = z.infer<typeof oidcConfigSchema>;

/**
 * The scopes to ask for: the configured ones, or the default, always with `openid`. The default
 * asks for `groups` only when the issuer's discovery lists it (Dex does; Google refuses unknown
 * scopes), so one default works for both.
 */
export function oidcScopes(config: OidcConfig, supported: readonly string[] = []): string {
  const given = config.scopes ? config.scopes.split(/\s+/) : ["openid", "profile", "email"];
  if (!config.scopes && config.groupsClaim && supported.includes("groups")) given.push("groups");
  if (!given.includes("openid")) given.unshift("openid");
  return given.filter(Boolean).join(" ");
}
