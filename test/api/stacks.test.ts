// Stacks through the API: a compose file that cannot deploy is refused whole, with file:line:column
// and the reason for every problem, and nothing is created; a good one creates the stack and its
// services, and exportconfig gives files that deploy the same stack again.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import {
  adminClient,
  type Client,
  expectStatus,
  nonAuditRows,
  startTestServer,
  uniqueName,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let base: string;

beforeAll(() => {
  server = startTestServer();
  admin = adminClient(server);
  base = `/v2-beta/projects/${server.admin.defaultProjectId}`;
});

afterAll(async () => {
  await server.stop();
});

const bad: [string, string, RegExp][] = [
  [
    "a wrong type",
    "services:\n  web:\n    image: busybox\n    ports: 80\n",
    /docker-compose\.yml:4:\d+: .*ports/,
  ],
  [
    "an unknown version",
    "version: '7'\nservices:\n  web:\n    image: busybox\n",
    /docker-compose\.yml:1:\d+: .*version/,
  ],
  [
    "a cycle in links",
    "services:\n  a:\n    image: busybox\n    links: [b]\n  b:\n    image: busybox\n    links: [a]\n",
    /cycle/,
  ],
  [
    "anchors that expand without bound",
    `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join("\n")}\n`,
    /alias|expand/i,
  ],
  ["YAML syntax", "services:\n  web:\n    image: [busybox\n", /docker-compose\.yml:\d+:\d+/],
];

for (const [what, dockerCompose, reason] of bad) {
  test(`a compose file with ${what} is refused whole and creates nothing`, async () => {
    const before = nonAuditRows(server);
    const r = await admin.post(`${base}/stacks`, { name: uniqueName("bad"), dockerCompose });
    expect(r.status).toBe(422);
    expect(r.body.type).toBe("error");
    expect(`${r.body.message}\n${JSON.stringify(r.body.detail ?? "")}`).toMatch(reason);
    expect(nonAuditRows(server)).toBe(before);
  });
}

test("a file over 1 MiB is refused", async () => {
  const before = nonAuditRows(server);
  const r = await admin.post(`${base}/stacks`, {
    name: uniqueName("big"),
    dockerCompose: `# ${"x".repeat(1024 * 1024)}\n`,
  });
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(nonAuditRows(server)).toBe(before);
});

test("a good stack creates its services, and exportconfig deploys the same stack again", async () => {
  const dockerCompose =
    "version: '2'\nservices:\n  web:\n    image: busybox\n    command: sleep 3600\n    links: [db]\n  db:\n    image: busybox\n";
  const rancherCompose = "version: '2'\nservices:\n  web:\n    scale: 3\n";
  const stack = expectStatus(
    await admin.post(`${base}/stacks`, { name: uniqueName("good"), dockerCompose, rancherCompose }),
    201,
  ).body;
  const services = (await admin.get(`${base}/services?stackId=${stack.id}`)).body.data;
  expect(services.map((s: { name: string }) => s.name).sort()).toEqual(["db", "web"]);
  const web = services.find((s: { name: string }) => s.name === "web");
  expect(web.scale).toBe(3);
  expect(web.serviceLinks).toEqual([{ target: "db" }]);
  const exported = expectStatus(
    await admin.post(`${base}/stacks/${stack.id}?action=exportconfig`, {}),
    200,
  ).body;
  const again = expectStatus(
    await admin.post(`${base}/stacks`, {
      name: uniqueName("again"),
      dockerCompose: exported.dockerComposeConfig,
      rancherCompose: exported.rancherComposeConfig,
    }),
    201,
  ).body;
  const copy = (await admin.get(`${base}/services?stackId=${again.id}`)).body.data;
  const shape = (list: { name: string; scale: number; launchConfig: unknown; serviceLinks: unknown }[]) =>
    list.map((s) => [s.name, s.scale, s.launchConfig, s.serviceLinks]).sort();
  expect(shape(copy)).toEqual(shape(services));
});
