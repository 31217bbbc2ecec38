/** Where the browser landed on the callback URL: the query the provider sent back. */
export interface CallbackParams {
  code: string | null;
  state: string | null;
  error: string | null;
  url: URL;
}

function formOf(html: string, base: URL): { action: URL; fields: URLSearchParams } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1]) throw new Error(`no form on the page:\n${html.slice(0, 500)}`);
  const fields = new URLSearchParams();
  for (const input of form[2]?.matchAll(/<input[^>]*>/gi) ?? []) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? "";
    if (name) fields.set(name, value.replaceAll("&amp;", "&"));
  }
  return { action: new URL(form[1].replaceAll("&amp;", "&"), base), fields };
}

/**
 * Plays a browser through an OpenID provider's login: follows redirects by hand, keeps cookies,
 * submits each form it is shown (filling `login` and `password` where asked), and stops at the
 * first redirect to `redirectUri`, returning its query (trusting `ca` for an https issuer). Nothing listens at `redirectUri`: like a
 * browser, this only needs to see where it is sent.
 */
export async function browserLogin(
  authorizeUrl: string,
  redirectUri: string,
  login: string,
  ca?: string,
): Promise<CallbackParams> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizeUrl);
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    if (url.href.startsWith(redirectUri)) {
      const q = url.searchParams;
      return { code: q.get("code"), state: q.get("state"), error: q.get("error"), url };
    }
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual", ...(ca ? { tls: { ca } } : {}) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url);
      init = {};
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`login page ${url.href} answered ${res.status}: ${html.slice(0, 500)}`);
    const { action, fields } = formOf(html, url);
    if (!fields.has("login") && /name="login"/.test(html)) fields.set("login", login);
    if (fields.has("login") && !fields.get("login")) fields.set("login", login);
    if (/name="password"/.test(html)) fields.set("password", "any-password");
    url = action;
    init = { method: "POST", body: fields, headers: { "content-type": "application/x-www-form-urlencoded" } };
  }
  throw new Error("the login did not reach the callback in 20 steps");
}
