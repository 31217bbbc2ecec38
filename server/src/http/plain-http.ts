import { isIP } from "node:net";

/** True when a client address is this machine's loopback (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, "");
  if (isIP(a) === 4) return a.startsWith("127.");
  return a === "::1";
}

/**
 * The only answer plain HTTP gives a client that is not on loopback (unless the operator asked for
 * plain HTTP everywhere): a 307 to the same path on the HTTPS port of the host the client asked for.
 * No route runs and no credential is looked at. 307 keeps the method and is not cached, so the
 * address works again at once if the operator changes the setting. A request without a usable Host
 * (already refused by the gate) gets 400.
 */
export function redirectToHttps(req: Request, httpsPort: number): Response {
  const url = new URL(req.url);
  const host =
    url.hostname.includes(":") && !url.hostname.startsWith("[") ? `[${url.hostname}]` : url.hostname;
  const target = `https://${host}${httpsPort === 443 ? "" : `:${httpsPort}`}${url.pathname}${url.search}`;
  return new Response(`This server answers plain HTTP on loopback only: use ${target}\n`, {
    status: 307,
    headers: { Location: target, "Content-Type": "text/plain; charset=utf-8", Connection: "close" },
  });
}
