/**
 * End-to-end placement of standalone containers against the real Docker engine and iptables: ports
 * are per host IP. A host declaring two IPs (`io.rancher.scheduler.ips`) runs two containers that
 * ask for the same host port, each bound to its own IP and answering there; a third asking for it is
 * refused with 422 naming the port, and nothing reaches Docker.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  docker,
  type Env,
  freePort,
  removeDockerLeftovers,
  startEnv,
  testImage,
  uniqueName,
  waitFor,
} from "./harness.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv();
}, 30_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

/** An httpd answering `text` on port 80 that exits at once on SIGTERM. */
function serving(text: string): string[] {
  return [
    "sh",
    "-c",
    `mkdir -p /w && echo ${text} > /w/index.html && trap 'exit 0' TERM; httpd -f -p 80 -h /w & wait`,
  ];
}

test("one host port on two host IPs: two containers each answer on their own IP, a third is refused", async () => {
  const host = (await env.api.request("GET", env.api.project(`/hosts/${env.hostId}`))).body;
  const labels = { ...host.labels, "io.rancher.scheduler.ips": "127.0.0.1,127.0.0.2" };
  expect((await env.api.request("PUT", env.api.project(`/hosts/${env.hostId}`), { labels })).status).toBe(
    200,
  );
  const port = freePort();
  const one = await env.api.createContainer({
    name: uniqueName("ip-one"),
    imageUuid: `docker:${testImage}`,
    command: serving("one"),
    ports: [`${port}:80`],
  });
  const two = await env.api.createContainer({
    name: uniqueName("ip-two"),
    imageUuid: `docker:${testImage}`,
    command: serving("two"),
    ports: [`${port}:80`],
  });
  expect([one.ports, two.ports]).toEqual([[`127.0.0.1:${port}:80/tcp`], [`127.0.0.2:${port}:80/tcp`]]);

  const third = uniqueName("ip-three");
  const refused = await env.api.request("POST", env.api.project("/containers"), {
    name: third,
    imageUuid: `docker:${testImage}`,
    command: serving("three"),
    ports: [`${port}:80`],
  });
  expect(refused.status).toBe(422);
  expect(refused.body.message).toContain(`port ${port}/tcp taken`);

  await env.api.waitContainer(one.id, "running");
  await env.api.waitContainer(two.id, "running");
  const answers: [string, string][] = [
    ["127.0.0.1", "one"],
    ["127.0.0.2", "two"],
  ];
  for (const [ip, text] of answers) {
    const body = await waitFor(`the container on ${ip}:${port} to answer`, async () => {
      const res = await fetch(`http://${ip}:${port}/`).catch(() => null);
      return res?.ok ? res.text() : null;
    });
    expect(body.trim()).toBe(text);
  }
  expect((await docker("ps", "-aq", "--filter", `name=${third}`)).stdout).toBe("");
}, 90_000);
