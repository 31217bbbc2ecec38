// Over HTTPS the session cookies are marked Secure, so a browser never sends them over plain HTTP.
import { afterAll, expect, test } from "bun:test";
import { admin, outside, portOf, removeTempDirs, serve, tempDir } from "./tls-kit.ts";

afterAll(() => removeTempDirs());

test("a login over HTTPS sets Secure session cookies, and the token works there", async () => {
  const password = `pw-${crypto.randomUUID()}`;
  const server = serve(tempDir("login"), {
    env: {
      CORRAL_ADMIN_ACCESS_KEY: admin.accessKey,
      CORRAL_ADMIN_SECRET_KEY: admin.secretKey,
      CORRAL_ADMIN_PASSWORD: password,
    },
  });
  try {
    const base = `https://${outside}:${portOf(server.httpsUrl!)}`;
    const tls = { ca: server.tls!.caPem };
    const res = await fetch(`${base}/v2-beta/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: `admin:${password}` }),
      tls,
    });
    expect(res.status).toBe(201);
    const token = ((await res.json()) as { jwt: string }).jwt;
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBe(2);
    for (const c of cookies) expect(c).toMatch(/; Secure/);
    const me = await fetch(`${base}/v2-beta/accounts`, { headers: { Cookie: `token=${token}` }, tls });
    expect(me.status).toBe(200);
    await me.body?.cancel();
  } finally {
    await server.stop();
  }
}, 60_000);
