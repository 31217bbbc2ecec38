/**
 * Volumes and webhooks on the real engine, one server and agent for the file:
 * - a stack's own volume is made for it and removed with it; an external volume that did not exist
 *   is made on first use, survives the stack, and is refused removal while mounted;
 * - driver and driver_opts reach `docker volume create` (NFS options of the local driver, as
 *   `docker volume inspect` shows them); an unknown driver is a clear error on the volume and on the
 *   container that mounts one of its volumes;
 * - a registry's v2 push notification posted to a receiver's URL upgrades the service in service to
 *   the pushed tag (the image is tagged locally: nothing is pulled).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "./api-client.ts";
import { docker, type Env, removeDockerLeftovers, runPrefix, startEnv, testImage } from "./harness.ts";

let env: Env;
const registry = "127.0.0.1:5999";
const repo = `${runPrefix}web`;
const ext = `${runPrefix}ext`;
const nfs = `${runPrefix}nfs`;
const stackName = `${runPrefix}vol`;
const sleeper = "sh -c 'trap \"exit 0\" TERM; sleep 3600 & wait'";

beforeAll(async () => {
  for (const tag of ["1", "2"]) await docker("tag", testImage, `${registry}/${repo}:${tag}`);
  env = await startEnv();
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
  const vols = (await docker("volume", "ls", "-q", "--filter", `name=${runPrefix}`)).stdout.split("\n");
  for (const v of vols.filter(Boolean)) await docker("volume", "rm", "-f", v);
  for (const tag of ["1", "2"]) await docker("rmi", `${registry}/${repo}:${tag}`);
}, 60_000);

const p = (path: string) => env.api.project(path);
const volumeExists = async (name: string) => (await docker("volume", "inspect", name)).code === 0;

async function serviceIn(stackId: string, name: string, state: string) {
  return waitFor(
    `${name} ${state}`,
    async () => {
      const r = await env.api.request("GET", p(`/services?stackId=${stackId}&name=${name}`));
      const s = r.body.data?.[0];
      return s?.state === state && (state !== "active" || s.currentScale === s.scale) ? s : null;
    },
    90_000,
  );
}

test("a stack's own volume lives and goes with it; an external one is made on first use and stays", async () => {
  const compose = `version: '2'
services:
  app:
    image: ${testImage}
    command: ${sleeper}
    volumes: [data:/d, ${ext}:/e]
volumes:
  data: {}
  ${ext}:
    external: true
`;
  expect(await volumeExists(ext)).toBe(false);
  const stack = await env.api.request("POST", p("/stacks"), { name: stackName, dockerCompose: compose });
  expect(stack.status).toBe(201);
  await serviceIn(stack.body.id, "app", "active");
  const own = (await env.api.request("GET", p(`/volumes?stackId=${stack.body.id}`))).body.data;
  expect(own).toHaveLength(1);
  expect(await volumeExists(own[0].name)).toBe(true);
  expect(await volumeExists(ext)).toBe(true);
  const [extRow] = await waitFor("the external volume lists the host", async () => {
    const list = (await env.api.request("GET", p(`/volumes?name=${ext}`))).body.data;
    return list?.[0]?.hostIds?.includes(env.hostId) ? list : null;
  });
  expect(extRow.stackId).toBeNull();
  const [container] = (await env.api.request("GET", p(`/containers?name_prefix=${stackName}-app-`))).body
    .data;
  await docker("exec", container.externalId, "sh", "-c", "echo kept > /e/file");

  const refused = await env.api.request("DELETE", p(`/volumes/${extRow.id}`));
  expect(refused.status).toBe(409);
  expect(refused.body.message).toBe(`volume ${ext} is in use by service app, container ${stackName}-app-1`);

  expect((await env.api.request("DELETE", p(`/stacks/${stack.body.id}`))).status).toBe(200);
  await waitFor(
    "the stack's volume gone from the engine and the API",
    async () => {
      const row = (await env.api.request("GET", p(`/volumes/${own[0].id}`))).body;
      return row.state === "removed" && !(await volumeExists(own[0].name));
    },
    90_000,
  );
  // The external volume and its data are still there; now unused, the user removes it.
  const check = await docker("run", "--rm", "-v", `${ext}:/e`, testImage, "cat", "/e/file");
  expect(check.stdout.trim()).toBe("kept");
  expect((await env.api.request("DELETE", p(`/volumes/${extRow.id}`))).status).toBe(200);
  await waitFor("the external volume removed", async () => !(await volumeExists(ext)), 30_000);
}, 240_000);

test("driver options reach the engine (NFS); an unknown driver is a clear error", async () => {
  const opts = { type: "nfs", o: "addr=127.0.0.1,rw,nfsvers=4", device: ":/exports/shared" };
  const made = await env.api.request("POST", p("/volumes"), { name: nfs, driver: "local", driverOpts: opts });
  expect(made.status).toBe(201);
  const row = await waitFor("nfs volume settled", async () => {
    const r = (await env.api.request("GET", p(`/volumes/${made.body.id}`))).body;
    return r.state !== "creating" ? r : null;
  });
  expect([row.state, row.hostIds]).toEqual(["active", [env.hostId]]);
  const info = JSON.parse((await docker("volume", "inspect", nfs)).stdout)[0];
  expect([info.Driver, info.Options]).toEqual(["local", opts]);

  const driver = `${runPrefix}nosuch`;
  const bad = await env.api.request("POST", p("/volumes"), { name: `${runPrefix}bad`, driver });
  const failed = await waitFor("unknown-driver volume settled", async () => {
    const r = (await env.api.request("GET", p(`/volumes/${bad.body.id}`))).body;
    return r.state !== "creating" ? r : null;
  });
  expect(failed.state).toBe("error");
  expect(failed.transitioningMessage).toContain(driver);

  const stack = await env.api.request("POST", p("/stacks"), {
    name: `${stackName}drv`,
    dockerCompose: `version: '2'
services:
  app:
    image: ${testImage}
    command: ${sleeper}
    volumes: [v:/v]
volumes:
  v:
    driver: ${driver}
`,
  });
  expect(stack.status).toBe(201);
  // The failed containers are purged once replaced (they never existed); the service says why.
  const svc = await waitFor(
    "the service's error",
    async () => {
      const list = (await env.api.request("GET", p(`/services?stackId=${stack.body.id}`))).body.data;
      return list?.find((x: { transitioningMessage?: string }) => x.transitioningMessage?.includes(driver));
    },
    60_000,
  );
  expect(svc.transitioningMessage).toContain(
    `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
  );
  expect((await env.api.request("DELETE", p(`/stacks/${stack.body.id}`))).status).toBe(200);
}, 180_000);

test("a registry push notification upgrades the service to the pushed tag, in service", async () => {
  const stack = await env.api.request("POST", p("/stacks"), {
    name: `${stackName}hook`,
    dockerCompose: `version: '2'
services:
  web:
    image: ${registry}/${repo}:1
    command: ${sleeper}
    labels: {deploy: ${runPrefix}ci}
`,
    rancherCompose: "web:\n  scale: 2\n",
  });
  expect(stack.status).toBe(201);
  const web = await serviceIn(stack.body.id, "web", "active");
  const receiver = await env.api.request("POST", `/v1-webhooks/receivers?projectId=${env.api.projectId}`, {
    name: "ci",
    driver: "serviceUpgrade",
    serviceUpgradeConfig: {
      serviceSelector: { deploy: `${runPrefix}ci` },
      tag: "2",
      payloadFormat: "registry",
      batchSize: 1,
      intervalMillis: 0,
      startFirst: true,
    },
  });
  expect(receiver.status).toBe(201);
  // What docker-registry posts after `docker push 127.0.0.1:5999/<repo>:2` (its notification envelope).
  const res = await fetch(receiver.body.url, {
    method: "POST",
    headers: { "Content-Type": "application/vnd.docker.distribution.events.v1+json" },
    body: JSON.stringify({
      events: [
        {
          id: "1",
          timestamp: new Date().toISOString(),
          action: "push",
          target: {
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            digest: "sha256:0",
            repository: repo,
            tag: "2",
          },
          request: { host: registry, method: "PUT", useragent: "docker/20.10" },
          source: { addr: "registry:5000" },
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { services: { id: string }[] }).services.map((s) => s.id)).toEqual([web.id]);
  await serviceIn(stack.body.id, "web", "upgraded");
  const images = await waitFor("two running containers of the new image", async () => {
    const out = (
      await docker("ps", "--filter", `name=${stackName}hook-web-`, "--format", "{{.Image}} {{.State}}")
    ).stdout;
    const running = out.split("\n").filter((l) => l.endsWith(" running"));
    return running.length === 2 ? running : null;
  });
  expect(images).toEqual([`${registry}/${repo}:2 running`, `${registry}/${repo}:2 running`]);
  expect((await env.api.request("POST", p(`/services/${web.id}?action=finishupgrade`))).status).toBe(202);
  await serviceIn(stack.body.id, "web", "active");
  expect((await env.api.request("DELETE", p(`/stacks/${stack.body.id}`))).status).toBe(200);
}, 240_000);
