import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isAppError } from "@corral/lib";
import { browserLogin } from "../../../testing/browser-login.ts";
import { startTestIssuer, type TestIssuer } from "../../../testing/oidc-issuer.ts";
import { type KeyPair, makeCertificateAuthority, signServerCertificate } from "../../tls/openssl.ts";
import { oidcConfigSchema } from "./config.ts";
import { createOidcProvider } from "./provider.ts";

let ca: KeyPair;
let issuer: TestIssuer;

beforeAll(async () => {
  ca = makeCertificateAuthority();
  issuer = await startTestIssuer(
    { carol: { name: "Carol", groups: ["admins"] } },
    { tls: signServerCertificate(ca, ["127.0.0.1"]) },
  );
});
afterAll(() => issuer.close());

describe("OpenID Connect with a private issuer over https", () => {
  test("with the issuer's CA configured, the whole flow works", async () => {
    const config = oidcConfigSchema.parse({
      issuer: issuer.issuer,
      clientId: issuer.clientId,
      clientSecret: issuer.clientSecret,
      certificate: ca.cert,
    });
    const provider = createOidcProvider(config);
    const url = await provider.authorizeUrl("tls-state", issuer.redirectUri);
    const back = await browserLogin(url, issuer.redirectUri, "carol", ca.cert);
    const result = await provider.exchange(back.code ?? "", issuer.redirectUri, "tls-state");
    expect(result.user).toMatchObject({ externalId: "carol", name: "Carol" });
    expect(result.groups.map((g) => g.name)).toEqual(["admins"]);
  });

  test("without the CA the issuer is not trusted: Unavailable, nothing sent on", async () => {
    const config = oidcConfigSchema.parse({
      issuer: issuer.issuer,
      clientId: issuer.clientId,
      clientSecret: issuer.clientSecret,
    });
    const provider = createOidcProvider(config);
    let error: unknown;
    await provider.authorizeUrl("tls-untrusted", issuer.redirectUri).catch((e) => {
      error = e;
    });
    expect(isAppError(error, "Unavailable")).toBe(true);
    expect((error as Error).message).toContain(issuer.issuer);
  });
});
