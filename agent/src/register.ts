import { hostname } from "node:os";
import { agentPaths, isErrorCode, registrationResponseSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { type AgentState, hashToken } from "./state.ts";
import { tlsFailure } from "./trust.ts";

/** Inputs of a registration. */
export interface RegisterOptions {
  /** Server URL, e.g. http://server:8080. */
  url: string;
  /** The registration token. */
  token: string;
  /** Host labels to register with. */
  labels?: Record<string, string>;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** The pinned CA (PEM): the only one trusted for an https URL. */
  ca?: string;
}

/** The server URL without a trailing slash, so paths can be appended. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * Registers this host with a token (Rancher style): POST /v2-beta/register with the host's uuid,
 * and returns the state updated with the host id and the agent's own key pair.
 *
 * A host that joined this same server before sends its agent key too (HTTP Basic): the server lets
 * a registered uuid join again only with the host's own key, so a token alone cannot take a host
 * over. The key goes only to the server it was issued by (same URL), never to another one.
 */
export async function register(state: AgentState, options: RegisterOptions): Promise<AgentState> {
  const body: Record<string, unknown> = {
    token: options.token,
    hostname: hostname().slice(0, 253) || "host",
    uuid: state.uuid,
  };
  if (options.labels && Object.keys(options.labels).length > 0) body.labels = options.labels;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (state.accessKey && state.secretKey && state.url && baseUrl(state.url) === baseUrl(options.url))
    headers.authorization = `Basic ${Buffer.from(`${state.accessKey}:${state.secretKey}`).toString("base64")}`;
  let response: Response;
  try {
    response = await fetch(`${baseUrl(options.url)}${agentPaths.register}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: options.signal,
      // A redirect is never followed: it could lead the token and key to another scheme or host.
      redirect: "manual",
      ...(options.ca && { tls: { ca: options.ca } }),
    });
  } catch (e) {
    const tls = tlsFailure(e, options.url);
    if (tls) throw new AppError("PermissionDenied", tls, { cause: e });
    throw new AppError("Unavailable", `cannot reach ${options.url}: ${(e as Error).message}`, { cause: e });
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get("location") ?? "";
    throw new AppError(
      "InvalidOption",
      `${options.url} answers with a redirect${location ? ` to ${location.slice(0, 200)}` : ""}: the server serves plain HTTP on loopback only; join with the https URL and the CA checksum of the registration command`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const err = (json ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof err.code === "string" && isErrorCode(err.code) ? err.code : "Unavailable";
    const message = typeof err.message === "string" ? err.message : text.slice(0, 200);
    throw new AppError(code, `registration refused (HTTP ${response.status}): ${message}`);
  }
  const parsed = registrationResponseSchema.safeParse(json);
  if (!parsed.success)
    throw new AppError("InvalidFormat", `bad registration response: ${parsed.error.message}`);
  const r = parsed.data;
  return {
    ...state,
    url: options.url,
    hostId: r.hostId,
    agentId: r.agentId,
    projectId: r.projectId,
    accessKey: r.accessKey,
    secretKey: r.secretKey,
    tokenHash: hashToken(options.token),
    installId: r.installId,
    caCert: options.ca,
  };
}
