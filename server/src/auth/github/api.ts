import { AppError } from "@corral/lib";
import { z } from "zod";
import { isNetworkError, networkFailure } from "../timed-fetch.ts";

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** The fields of a GitHub user or organization this server reads. */
export const githubAccountSchema = z.object({
  id: z.number().int().nonnegative(),
  login: z.string().min(1),
  name: z.string().nullish(),
  html_url: z.string().nullish(),
  type: z.string().nullish(),
});

/** The fields of a GitHub team this server reads. */
export const githubTeamSchema = z.object({
  id: z.number().int().nonnegative(),
  name: z.string().min(1),
  slug: z.string().min(1),
  html_url: z.string().nullish(),
  organization: z.object({ login: z.string().min(1) }),
});

/** At most this many pages of a list are read (100 entries each). */
const maxPages = 10;

/**
 * Reads GitHub's REST API (github.com's `api.github.com` or an Enterprise server's `/api/v3`) with
 * one credential: a user's OAuth token, or the app's client id and secret for public lookups.
 * Failures become AppErrors a login can show: a refused credential is Unauthorized; rate limits,
 * server errors, odd payloads and unreachable hosts are Unavailable.
 */
export class GithubApi {
  constructor(
    private readonly api: string,
    private readonly authorization: string,
    private readonly fetcher: Fetch,
  ) {}

  /** GET `path` and parse its body with `schema`; `undefined` on 404 when `allowMissing`. */
  async get<T>(path: string, schema: z.ZodType<T>, allowMissing = false): Promise<T | undefined> {
    const res = await this.request(`${this.api}${path}`);
    if (res.status === 404 && allowMissing) {
      await res.body?.cancel();
      return undefined;
    }
    return this.parse(res, path, schema);
  }

  /** Every entry of the list at `path`, following `Link: rel="next"` within the API's origin. */
  async list<T>(path: string, schema: z.ZodType<T>): Promise<T[]> {
    const out: T[] = [];
    let url: string | undefined = `${this.api}${path}${path.includes("?") ? "&" : "?"}per_page=100`;
    for (let page = 0; url && page < maxPages; page++) {
      const res = await this.request(url);
      out.push(...(await this.parse(res, path, z.array(schema))));
      url = nextLink(res.headers.get("link"), this.api);
    }
    return out;
  }

  private async request(url: string): Promise<Response> {
    try {
      return await this.fetcher(url, {
        headers: {
          accept: "application/vnd.github+json",
          authorization: this.authorization,
          "user-agent": "Corral",
        },
      });
    } catch (e) {
      if (isNetworkError(e)) throw new AppError("Unavailable", `GitHub API ${this.api} ${networkFailure(e)}`);
      throw e;
    }
  }

  private async parse<T>(res: Response, path: string, schema: z.ZodType<T>): Promise<T> {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const message = (body as { message?: unknown } | undefined)?.message;
      const detail = typeof message === "string" ? message : text.slice(0, 200);
      if (res.status === 401) throw new AppError("Unauthorized", `GitHub refused the credentials: ${detail}`);
      if (res.headers.get("x-ratelimit-remaining") === "0") {
        throw new AppError(
          "Unavailable",
          `GitHub API rate limit exceeded; try again after ${resetTime(res)}`,
        );
      }
      throw new AppError("Unavailable", `GitHub API GET ${path} answered ${res.status}: ${detail}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new AppError("Unavailable", `GitHub API GET ${path} gave an unexpected answer`);
    return parsed.data;
  }
}

function resetTime(res: Response): string {
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : "a while";
}

/** The `rel="next"` URL of a Link header, when it stays on the API's origin (the token goes there). */
function nextLink(header: string | null, api: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!m?.[1]) continue;
    try {
      const next = new URL(m[1]);
      return next.origin === new URL(api).origin ? next.href : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
