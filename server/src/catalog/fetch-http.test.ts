/**
 * A private catalog over smart HTTP with Basic auth, as a hosted git server serves one: real `git`
 * on both sides (`git http-backend` as a CGI program behind a small Bun server on loopback). The
 * user and password reach git through its askpass program only, a wrong one fails with git's message
 * and no password in it, and a failed fetch leaves the last good copy in place.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { execa } from "execa";
import { fetchCatalog } from "./fetch.ts";

const user = "reader";
const password = "s3cret-Pass-9f2";
let work = "";
let server: Server<undefined>;
let url = "";

/** Runs `git http-backend` for one request and turns its CGI answer into a Response. */
async function gitCgi(req: Request, root: string): Promise<Response> {
  const u = new URL(req.url);
  const body = new Uint8Array(await req.arrayBuffer());
  const proc = Bun.spawn(["git", "http-backend"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: u.pathname,
      QUERY_STRING: u.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers.get("content-type") ?? "",
      CONTENT_LENGTH: String(body.length),
      HTTP_CONTENT_ENCODING: req.headers.get("content-encoding") ?? "",
      GIT_PROTOCOL: req.headers.get("git-protocol") ?? "",
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
    },
    stdin: body,
    stdout: "pipe",
    stderr: "ignore",
  });
  const out = Buffer.from(await new Response(proc.stdout).arrayBuffer());
  await proc.exited;
  let end = out.indexOf("\r\n\r\n");
  let skip = 4;
  if (end < 0) {
    end = out.indexOf("\n\n");
    skip = 2;
  }
  const headers = new Headers();
  let status = 200;
  for (const line of out.subarray(0, end).toString("latin1").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else headers.append(name, value);
  }
  return new Response(out.subarray(end + skip), { status, headers });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "corral-git-http-"));
  const src = join(work, "src");
  mkdirSync(join(src, "templates", "hello", "0"), { recursive: true });
  writeFileSync(join(src, "templates", "hello", "config.yml"), "name: hello\nversion: 1.0.0\n");
  writeFileSync(join(src, "templates", "hello", "0", "docker-compose.yml"), "services: {}\n");
  const git = (cwd: string, ...args: string[]) =>
    execa("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd });
  await git(work, "init", "-q", "-b", "master", src);
  await git(src, "add", ".");
  await git(src, "commit", "-q", "-m", "catalog");
  await git(work, "clone", "-q", "--bare", src, join(work, "root", "private.git"));
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      req.headers.get("authorization") === expected
        ? gitCgi(req, join(work, "root"))
        : new Response("authentication required\n", {
            status: 401,
            headers: { "WWW-Authenticate": 'Basic realm="catalogs"' },
          }),
  });
  url = `http://127.0.0.1:${server.port}/private.git`;
});

afterAll(() => {
  server?.stop(true);
  rmSync(work, { recursive: true, force: true });
});

describe("a private catalog over http(s) with a user and password", () => {
  test("the right credentials fetch it; the clone's remote URL holds none of them", async () => {
    const dir = join(work, "clones", "ok");
    const commit = await fetchCatalog({
      url,
      branch: "master",
      dir,
      credentials: { username: user, password },
    });
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(dir, "templates", "hello", "config.yml"), "utf8")).toContain("name: hello");
    const remote = await execa("git", ["-C", dir, "remote", "get-url", "origin"]);
    expect(remote.stdout).toBe(url);
  });

  test("a wrong password fails with git's message, without the password; the last copy stays", async () => {
    const dir = join(work, "clones", "kept");
    await fetchCatalog({ url, branch: "master", dir, credentials: { username: user, password } });
    const wrong = "not-the-Pass-1";
    const failed = await fetchCatalog({
      url,
      branch: "master",
      dir,
      credentials: { username: user, password: wrong },
    }).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
    const message = (failed as Error).message;
    expect(message).toMatch(/Authentication failed|401/);
    expect(message).not.toContain(wrong);
    expect(existsSync(join(dir, "templates", "hello", "config.yml"))).toBe(true);
  });

  test("without credentials git does not prompt: it fails at once", async () => {
    const started = Date.now();
    const failed = await fetchCatalog({ url, branch: "master", dir: join(work, "clones", "none") }).catch(
      (e: Error) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(work, "clones", "none"))).toBe(false);
  });
});
