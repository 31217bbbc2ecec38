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

test("the answer carries the parser's warnings, exportconfig keeps top-level volumes and the legacy lb", async () => {
  const dockerCompose =
    "version: '2'\nservices:\n  Web:\n    image: busybox\n    volumes: ['cache:/cache', 'logs:/logs']\n    volume_driver: local\n" +
    "  lb:\n    image: rancher/load-balancer-service\n    ports: ['8080:80']\n    links: [Web]\n" +
    "volumes:\n  cache:\n    driver_opts: {type: tmpfs, device: tmpfs}\n    per_container: true\n  logs:\n    external: true\n  unused: {}\n";
  const created = expectStatus(
    await admin.post(`${base}/stacks`, { name: uniqueName("vols"), dockerCompose }),
    201,
  ).body;
  expect(created.warnings).toEqual([]);
  const services = (await admin.get(`${base}/services?stackId=${created.id}`)).body.data;
  const web = services.find((s: { name: string }) => s.name === "Web");
  expect(web.launchConfig.volumeDriver).toBe("local");
  expect(web.launchConfig.volumeTemplates).toEqual({
    cache: { driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs" }, perContainer: true },
  });
  const lb = services.find((s: { name: string }) => s.name === "lb");
  expect(lb.lbConfig.portRules).toEqual([
    { sourcePort: 8080, targetPort: 80, protocol: "http", service: "Web" },
  ]);
  const exported = expectStatus(
    await admin.post(`${base}/stacks/${created.id}?action=exportconfig`, {}),
    200,
  ).body;
  expect(exported.dockerComposeConfig).toContain(
    "volumes:\n  cache:\n    driver_opts:\n      type: tmpfs\n      device: tmpfs\n    per_container: true\n  logs:\n    external: true\n  unused: null\n",
  );
  const warned = expectStatus(
    await admin.post(`${base}/stacks`, {
      name: uniqueName("warned"),
      dockerCompose: "services:\n  web:\n    image: busybox\n    image: busybox:1.36\n",
    }),
    201,
  ).body;
  expect(warned.warnings).toEqual([
    'docker-compose.yml:4:5: services.web.image: duplicate key "image" (also at line 3, column 5): the last value is used',
  ]);
});
