// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files use ${VAR} interpolation
/**
 * `corral up` against the real server in process (no host joined, so services get no containers):
 * create, up to date, scale from rancher-compose, compose errors with file:line:column, variables,
 * upgrade and rollback, credentials and exit codes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { ApiClient } from "./client.ts";
import { captureIo, folder, testServer } from "./test-io.ts";
import { main as up } from "./up.ts";

let server: RunningServer;
let env: Record<string, string>;
let api: ApiClient;

beforeAll(() => {
  ({ server, env } = testServer());
  api = new ApiClient({
    url: server.url,
    accessKey: env.CORRAL_ACCESS_KEY!,
    secretKey: env.CORRAL_SECRET_KEY!,
  });
});
afterAll(() => server.stop());

const compose = "version: '2'\nservices:\n  web:\n    image: busybox:${TAG}\n  db:\n    image: redis\n";
const rancher = "version: '2'\nservices:\n  web:\n    scale: 3\n";

async function stack(name: string) {
  const [found] = (await api.list("/v2-beta/projects/1a2/stacks", { name })).filter(
    (s) => s.state !== "removed",
  );
  return found!;
}

async function services(stackId: string) {
  return api.list("/v2-beta/projects/1a2/services", { stackId });
}

describe("corral up", () => {
  test("creates the stack named after the folder, with only the variables the files use", async () => {
    const dir = folder("My App_1", { "docker-compose.yml": compose, "rancher-compose.yml": rancher });
    const io = captureIo({ ...env, TAG: "1.36", UNRELATED_SECRET: "x" }, dir);
    expect(await up(["-d"], io)).toBe(0);
    expect(io.stdout).toContain("created stack my-app-1");
    const s = await stack("my-app-1");
    expect(s.environment).toEqual({ TAG: "1.36" });
    const svcs = await services(s.id);
    expect(svcs.find((x) => x.name === "web")?.scale).toBe(3);
    expect((svcs.find((x) => x.name === "web")!.launchConfig as { imageUuid: string }).imageUuid).toBe(
      "docker:busybox:1.36",
    );
  });

  test("a second up says up to date; a new scale in rancher-compose.yml is applied", async () => {
    const dir = folder("again", { "docker-compose.yml": compose, "rancher-compose.yml": rancher });
    const io = captureIo({ ...env, TAG: "1" }, dir);
    expect(await up(["-d"], io)).toBe(0);
    const io2 = captureIo({ ...env, TAG: "1" }, dir);
    expect(await up(["-d"], io2)).toBe(0);
    expect(io2.stdout).toContain("stack again is up to date");
    writeFileSync(join(dir, "rancher-compose.yml"), rancher.replace("3", "2"));
    const io3 = captureIo({ ...env, TAG: "1" }, dir);
    expect(await up(["-d"], io3)).toBe(0);
    expect(io3.stdout).toContain("web: scale 3 -> 2");
    const s = await stack("again");
    expect((await services(s.id)).find((x) => x.name === "web")?.scale).toBe(2);
    writeFileSync(join(dir, "docker-compose.yml"), compose.replace("redis", "redis:7"));
    const io4 = captureIo({ ...env, TAG: "1" }, dir);
    expect(await up(["-d"], io4)).toBe(0);
    expect(io4.stdout).toContain("run 'corral up --upgrade'");
  });

  test("-f files, -p name and --env-file", async () => {
    const dir = folder("x", {
      "prod.yml": "services:\n  api:\n    image: busybox:${V}\nversion: '2'\n",
      "prod-rancher-compose.yml": "version: '2'\nservices:\n  api:\n    scale: 2\n",
      "vars.env": "# comment\nexport V=2\nQUOTED='a b'\n",
    });
    const io = captureIo({ ...env, V: "1" }, dir);
    expect(
      await up(
        ["-f", "prod.yml", "-f", "prod-rancher-compose.yml", "-p", "prod", "-d", "--env-file", "vars.env"],
        io,
      ),
    ).toBe(0);
    const s = await stack("prod");
    expect(s.environment).toEqual({ V: "2", QUOTED: "a b" });
    const [api1] = await services(s.id);
    expect(api1?.scale).toBe(2);
  });

  test("several docker-compose files are merged", async () => {
    const dir = folder("merge", {
      "a.yml":
        "version: '2'\nservices:\n  web:\n    image: busybox\n    ports: ['80']\n    environment: [A=1]\n",
      "b.yml":
        "version: '2'\nservices:\n  web:\n    image: busybox:2\n    ports: ['81']\n    environment:\n      B: '2'\n",
    });
    const io = captureIo(env, dir);
    expect(await up(["-f", "a.yml", "-f", "b.yml", "-d"], io)).toBe(0);
    const [web] = await services((await stack("merge")).id);
    const lc = web?.launchConfig as {
      imageUuid: string;
      ports: string[];
      environment: Record<string, string>;
    };
    expect(lc.imageUuid).toBe("docker:busybox:2");
    expect(lc.ports.length).toBe(2);
    expect(lc.environment).toEqual({ A: "1", B: "2" });
  });

  test("a bad compose file prints file:line:column lines and exits 1, creating nothing", async () => {
    const bad =
      "version: '2'\nservices:\n  web:\n    image: busybox\n    ports: [\"abc\"]\n  db:\n    imag: x\n";
    const dir = folder("bad", { "docker-compose.yml": bad });
    const io = captureIo(env, dir);
    expect(await up(["-d"], io)).toBe(1);
    expect(io.stderr).toContain("corral up: docker-compose.yml:5:13: services.web.ports[0]: invalid port");
    expect(io.stderr).toMatch(/docker-compose\.yml:7:5: services\.db\.imag: unknown key/);
    expect(io.stderr).not.toContain("    at ");
    expect(await api.list("/v2-beta/projects/1a2/stacks", { name: "bad" })).toHaveLength(0);
    // With -f, the user's own file name.
    const io2 = captureIo(env, folder("bad2", { "prod.yml": bad }));
    expect(await up(["-f", "prod.yml", "-d"], io2)).toBe(1);
    expect(io2.stderr).toContain("prod.yml:5:13:");
  });

  test("the parser's warnings reach the output, the API answer and the stack's warnings", async () => {
    const warned =
      "version: '2'\nservices:\n  web:\n    image: busybox\n    build: .\n    image: busybox:1.36\n";
    const dir = folder("warned", { "docker-compose.yml": warned });
    const io = captureIo(env, dir);
    expect(await up(["-d"], io)).toBe(0);
    expect(io.stderr).toContain(
      'warning: docker-compose.yml:6:5: services.web.image: duplicate key "image" (also at line 4, column 5): the last value is used',
    );
    expect(io.stderr).toContain(
      "warning: docker-compose.yml:5:5: services.web.build: build is not run here: service web deploys the image busybox:1.36",
    );
    const s = await stack("warned");
    expect(s.warnings).toHaveLength(2);
    // An upgrade answers with the new files' warnings (none here).
    writeFileSync(
      join(dir, "docker-compose.yml"),
      "version: '2'\nservices:\n  web:\n    image: busybox:1.36\n",
    );
    const io2 = captureIo(env, dir);
    expect(await up(["--upgrade", "-d"], io2)).toBe(0);
    expect(io2.stderr).not.toContain("warning:");
    expect((await stack("warned")).warnings).toEqual([]);
  });

  test("without -d it follows the services until they settle", async () => {
    const dir = folder("zero", {
      "docker-compose.yml": "version: '2'\nservices:\n  web:\n    image: busybox\n",
      "rancher-compose.yml": "version: '2'\nservices:\n  web:\n    scale: 0\n",
    });
    const io = captureIo(env, dir);
    expect(await up([], io)).toBe(0);
    expect(io.stdout).toMatch(/web: 0\/0 running/);
    expect(io.stdout).toContain("stack zero is up");
  });

  test("without a host it times out with each service's status", async () => {
    const dir = folder("nohost", {
      "docker-compose.yml": "version: '2'\nservices:\n  web:\n    image: busybox\n",
    });
    const io = captureIo(env, dir);
    expect(await up(["--timeout", "0.3"], io)).toBe(1);
    expect(io.stdout).toMatch(/web: 0\/1 running/);
    expect(io.stderr).toMatch(/timed out after 0 s waiting for nohost:\n {2}web: 0\/1 running/);
  });

  test("--upgrade, then --rollback; --confirm-upgrade without an upgrade fails", async () => {
    const dir = folder("upg", {
      "docker-compose.yml": "version: '2'\nservices:\n  web:\n    image: busybox\n",
    });
    expect(await up(["-d"], captureIo(env, dir))).toBe(0);
    writeFileSync(join(dir, "docker-compose.yml"), "version: '2'\nservices:\n  web:\n    image: busybox:2\n");
    const io = captureIo(env, dir);
    const code = await up(["--upgrade", "-d", "--batch-size", "2", "--interval", "10"], io);
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    expect(io.stdout).toContain("upgrading stack upg: web");
    let s = await stack("upg");
    expect(s.state).toBe("upgrading");
    expect(s.rancherCompose).toContain("batch_size: 2");
    const io2 = captureIo(env, dir);
    expect(await up(["--rollback", "-d"], io2)).toBe(0);
    expect(io2.stdout).toContain("rolling back stack upg");
    s = await stack("upg");
    expect(s.state).toBe("active");
    const io3 = captureIo(env, dir);
    expect(await up(["--confirm-upgrade"], io3)).toBe(1);
    expect(io3.stderr).toContain("stack upg is active: there is no upgrade to confirm");
  });

  test("usage errors exit 2; --help exits 0", async () => {
    const dir = folder("usage", { "docker-compose.yml": compose });
    const io = captureIo(env, dir);
    expect(await up(["--nope"], io)).toBe(2);
    expect(io.stderr).toContain("run 'corral up --help'");
    expect(await up(["--rollback", "--upgrade"], captureIo(env, dir))).toBe(2);
    expect(await up(["--timeout", "soon"], captureIo(env, dir))).toBe(2);
    const empty = captureIo(env, folder("empty", {}));
    expect(await up([], empty)).toBe(2);
    expect(empty.stderr).toContain("no docker-compose.yml in");
    const help = captureIo(env, dir);
    expect(await up(["--help"], help)).toBe(0);
    expect(help.stdout).toContain("usage: corral up");
  });

  test("credentials: missing (exit 2), wrong (exit 1), RANCHER_* accepted, unreachable (exit 1)", async () => {
    const dir = folder("creds", { "docker-compose.yml": compose });
    const none = captureIo({ CORRAL_URL: server.url }, dir);
    expect(await up(["-d"], none)).toBe(2);
    expect(none.stderr).toContain("no API key");
    const wrong = captureIo({ ...env, CORRAL_SECRET_KEY: "wrong" }, dir);
    expect(await up(["-d"], wrong)).toBe(1);
    expect(wrong.stderr).toContain("check the access and secret keys");
    const rancherVars = captureIo(
      {
        RANCHER_URL: `${server.url}/v2-beta`,
        RANCHER_ACCESS_KEY: env.CORRAL_ACCESS_KEY,
        RANCHER_SECRET_KEY: env.CORRAL_SECRET_KEY,
        TAG: "1",
      },
      dir,
    );
    expect(await up(["-d"], rancherVars)).toBe(0);
    const away = captureIo({ ...env, CORRAL_URL: "http://127.0.0.1:1" }, dir);
    expect(await up(["-d"], away)).toBe(1);
    expect(away.stderr).toContain("cannot reach the Corral server at http://127.0.0.1:1");
    const noEnv = captureIo({ ...env, CORRAL_PROJECT: "Staging" }, dir);
    expect(await up(["-d"], noEnv)).toBe(1);
    expect(noEnv.stderr).toContain("no environment named Staging");
  });
});
