/**
 * Password answers are never shown back: a `.tpl` file and a plain file both keep them on the stack
 * only as `${VAR}` references, and so do the services and containers made from it; only the spec a
 * host is asked to create a container with carries the real value. The values are looked for in
 * every stack, service and container view (v2-beta, v1, instances), the export, the catalog views,
 * the audit log, the event streams and the stored rows; upgrade and rollback re-render from the kept
 * (sealed) answers; a fake host, joined last, is asked to create the container with the real values,
 * and with a new one after an upgrade changes the answer. No Docker.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files carry ${VAR} references
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import {
  catalogImage,
  commitFiles,
  type GitDaemon,
  startGitDaemon,
  testCatalogFiles,
} from "../../server/testing/test-catalog.ts";
import { addCatalog } from "./catalog-kit.ts";
import { dockerLike, FakeAgent, type ServerEventFrame } from "./fake-agent.ts";
import { adminClient, type Client, expectStatus, nonAuditRows, startTestServer, until } from "./harness.ts";

setDefaultTimeout(60_000);

const run = `command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
const config = (t: string) => `name: ${t}\nversion: 1.0.0\ncategory: Test\n`;
const tplCompose = (rev: string) => `version: '2'
services:
  db:
    image: ${catalogImage}
    ${run}
    environment:
      DB_PASSWORD: {{ .Values.db_password }}
      ADMIN_PW: {{ .Values.admin_pw | quote }}
      URL: "postgres://app:{{ .Values.db_password }}@db/{{ .Stack.Name }}"
    labels:
      rev: '${rev}'
{{- if .Values.db_password }}
      has-password: 'yes'
{{- end }}
{{- if .Values.other_pw }}
      other: set
{{- end }}
`;
const questions = `    - {variable: db_password, type: password, required: true}
    - {variable: admin_pw, type: password, required: true}
    - {variable: other_pw, type: password}
    - {variable: title, type: string, default: plain-title}`;

/** Templates with password answers in `.tpl` files, beside the usual test catalog. */
function files(): Record<string, string> {
  return {
    ...testCatalogFiles(),
    "templates/secret-tpl/config.yml": config("secret-tpl"),
    "templates/secret-tpl/0/docker-compose.yml.tpl": tplCompose("0"),
    "templates/secret-tpl/0/rancher-compose.yml": `version: '2'\ncatalog:\n  version: 1.0.0\n  questions:\n${questions}\n`,
    "templates/secret-tpl/1/docker-compose.yml.tpl": tplCompose("1"),
    "templates/secret-tpl/1/rancher-compose.yml": `version: '2'\ncatalog:\n  version: 2.0.0\n  upgrade_from: ">=1.0.0"\n  questions:\n${questions}\n`,
    // A password measured: a reference cannot stand for it, so the launch is refused.
    "templates/secret-len/config.yml": config("secret-len"),
    "templates/secret-len/0/docker-compose.yml.tpl": `version: '2'\nservices:\n  a:\n    image: ${catalogImage}\n    labels:\n      n: '{{ len .Values.pw }}'\n`,
    "templates/secret-len/0/rancher-compose.yml": `version: '2'\ncatalog:\n  version: 1.0.0\n  questions:\n    - {variable: pw, type: password, required: true}\n`,
    // A password whose name no ${...} reference can spell.
    "templates/secret-dash/config.yml": config("secret-dash"),
    "templates/secret-dash/0/docker-compose.yml.tpl": `version: '2'\nservices:\n  a:\n    image: ${catalogImage}\n    environment:\n      P: '{{ index .Values "db-pw" }}'\n`,
    "templates/secret-dash/0/rancher-compose.yml": `version: '2'\ncatalog:\n  version: 1.0.0\n  questions:\n    - {variable: db-pw, type: password, required: true}\n`,
    // A password in a label: the server reads labels, so a reference cannot stand for it there.
    "templates/secret-label/config.yml": config("secret-label"),
    "templates/secret-label/0/docker-compose.yml": `version: '2'\nservices:\n  a:\n    image: ${catalogImage}\n    labels:\n      pw: \${pw}\n`,
    "templates/secret-label/0/rancher-compose.yml": `version: '2'\ncatalog:\n  version: 1.0.0\n  questions:\n    - {variable: pw, type: password, required: true}\n`,
  };
}

let server: RunningServer;
let admin: Client;
let daemon: GitDaemon;
let agent: FakeAgent | undefined;
let work = "";
let project = "";
/** The plain stack deployed from the export with the answers in its environment (shown, as any plain stack's). */
let againId = "";
/** Every `instance.create` the fake host was sent. */
const creates: ServerEventFrame[] = [];

const tplSecret = "Tpl-Secret-9q7z";
const adminSecret = "Adm-Secret-3x8w";
const plainSecret = "Plain-Secret-4k2v";
const refusedSecret = "Refused-Secret-7m1c";
const upgradeSecret = "Upg-Secret-5n6b";
const changedSecret = "Chg-Secret-8p3d";
const filesSecret = "Files-Secret-2r9t";
const secrets = [
  tplSecret,
  adminSecret,
  plainSecret,
  refusedSecret,
  upgradeSecret,
  changedSecret,
  filesSecret,
];

/** Every message of the event streams (v2-beta and v1) of the environment, pings left out. */
const streamed: string[] = [];
const sockets: WebSocket[] = [];

/** Subscribes to `path` with the admin's credentials, keeping every message in `streamed`. */
async function subscribe(path: string): Promise<void> {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}${path}`, {
    headers: { Authorization: admin.auth! },
  });
  ws.onmessage = (m) => {
    const text = String(m.data);
    if (JSON.parse(text).name !== "ping") streamed.push(text);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error(`subscription to ${path} refused`));
  });
  sockets.push(ws);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-secrets-"));
  await commitFiles(join(work, "repos", "library"), files(), "first");
  daemon = await startGitDaemon(join(work, "repos"));
  server = startTestServer({ env: { CORRAL_CATALOG_REFRESH_SECONDS: "0" } });
  admin = adminClient(server);
  project = `/v2-beta/projects/${server.admin.defaultProjectId}`;
  await addCatalog(admin, "library", `${daemon.url}library`);
  await subscribe(`${project}/subscribe`);
  await subscribe(`/v1/projects/${server.admin.defaultProjectId}/subscribe`);
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await agent?.close().catch(() => undefined);
  await server?.stop();
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The stack named `name` and its services by name. */
async function stackNamed(name: string) {
  const [stack] = (await admin.get(`${project}/stacks?name=${name}`)).body.data;
  const list = (await admin.get(`${project}/services?stackId=${stack.id}`)).body.data;
  const services = Object.fromEntries(list.map((s: { name: string }) => [s.name, s]));
  return { stack, services };
}

/** Every secret found in `text`. */
const found = (text: string) => secrets.filter((s) => text.includes(s));

describe("password answers never shown back", () => {
  test("a .tpl keeps ${VAR} references, in the stack's files and its services", async () => {
    const res = await admin.post(`${project}/stacks`, {
      name: "tplsec",
      externalId: "catalog://library:secret-tpl:0",
      // As the rancher CLI sends them: in `environment`.
      environment: { db_password: tplSecret, admin_pw: adminSecret },
      startOnCreate: false,
    });
    const stack = expectStatus(res, 201).body;
    expect(found(JSON.stringify(stack))).toEqual([]);
    expect(stack.environment).toEqual({ title: "plain-title" });
    expect(stack.dockerCompose).toContain("DB_PASSWORD: ${db_password}");
    expect(stack.dockerCompose).toContain('ADMIN_PW: "${admin_pw}"');
    expect(stack.dockerCompose).toContain('URL: "postgres://app:${db_password}@db/tplsec"');
    // Truthiness of a password is kept; an empty one needs no hiding.
    expect(stack.dockerCompose).toContain("has-password: 'yes'");
    expect(stack.dockerCompose).not.toContain("other: set");
    const { services } = await stackNamed("tplsec");
    expect(services.db.launchConfig.environment).toEqual({
      DB_PASSWORD: "${db_password}",
      ADMIN_PW: "${admin_pw}",
      URL: "postgres://app:${db_password}@db/tplsec",
    });
  });

  test("a plain file keeps its ${VAR} reference as well", async () => {
    const stack = expectStatus(
      await admin.post(`${project}/stacks`, {
        name: "plainsec",
        externalId: "catalog://library:wordpress:0",
        answers: { db_password: plainSecret },
        startOnCreate: false,
      }),
      201,
    ).body;
    expect(stack.dockerCompose).toContain("DB_PASSWORD: ${db_password}");
    const { services } = await stackNamed("plainsec");
    expect(services.web.launchConfig.environment.DB_PASSWORD).toBe("${db_password}");
  });

  test("a template measuring a password, or naming it so no reference can, is refused; nothing kept", async () => {
    const before = nonAuditRows(server);
    const len = await admin.post(`${project}/stacks`, {
      name: "lensec",
      externalId: "catalog://library:secret-len:0",
      answers: { pw: refusedSecret },
    });
    expect(len.status).toBe(422);
    expect(len.body.message).toContain(
      "docker-compose.yml.tpl: the password answer pw is used other than inserted",
    );
    const dash = await admin.post(`${project}/stacks`, {
      name: "dashsec",
      externalId: "catalog://library:secret-dash:0",
      answers: { "db-pw": refusedSecret },
    });
    expect(dash.status).toBe(422);
    expect(dash.body.message).toContain("db-pw cannot be inserted as a ${db-pw} reference");
    const label = await admin.post(`${project}/stacks`, {
      name: "labelsec",
      externalId: "catalog://library:secret-label:0",
      answers: { pw: refusedSecret },
    });
    expect([label.status, label.body.message]).toEqual([
      422,
      "service a: launchConfig.labels.pw: the password answer pw may go to a container's environment, command or entrypoint only",
    ]);
    // A catalog that does not exist: which answers are passwords is unknown, so all are hidden.
    const none = await admin.post(`${project}/stacks`, {
      name: "nonesec",
      externalId: "catalog://nope:secret-tpl:0",
      answers: { other: refusedSecret },
    });
    expect(none.status).toBe(422);
    expect(found(JSON.stringify([len.body, dash.body, label.body, none.body]))).toEqual([]);
    expect(nonAuditRows(server)).toBe(before);
  });

  test("upgrade re-renders with the kept answers; rollback restores the references", async () => {
    const { stack } = await stackNamed("tplsec");
    const up = await admin.post(`${project}/stacks/${stack.id}?action=upgrade`, {
      externalId: "catalog://library:secret-tpl:1",
      // A password answered only now: sealed too, and redacted in the audit row of the upgrade.
      answers: { title: "new-title", other_pw: upgradeSecret },
    });
    expect(up.status).toBeLessThan(300);
    expect(found(JSON.stringify(up.body))).toEqual([]);
    const after = await stackNamed("tplsec");
    expect(after.stack.dockerCompose).toContain("rev: '1'");
    expect(after.stack.dockerCompose).toContain("DB_PASSWORD: ${db_password}");
    const db = after.services.db;
    const lc = db.upgrade?.inServiceStrategy?.launchConfig ?? db.launchConfig;
    expect(lc.environment.DB_PASSWORD).toBe("${db_password}");
    expect(lc.labels).toMatchObject({ rev: "1", other: "set" });
    expect(after.stack.environment).toEqual({ title: "new-title" });
    expectStatus(await admin.post(`${project}/stacks/${stack.id}?action=rollback`), 202);
    const back = await stackNamed("tplsec");
    expect(back.stack.externalId).toBe("catalog://library:secret-tpl:0");
    expect(back.stack.dockerCompose).toContain("rev: '0'");
    expect(back.stack.dockerCompose).toContain("DB_PASSWORD: ${db_password}");
  });

  test("new files sent for a catalog stack keep resolving its password references", async () => {
    const { stack } = await stackNamed("plainsec");
    const up = await admin.post(`${project}/stacks/${stack.id}?action=upgrade`, {
      dockerCompose: stack.dockerCompose.replace("rev: '0'", "rev: edited"),
      rancherCompose: stack.rancherCompose,
    });
    expect(up.status).toBeLessThan(300);
    const after = await stackNamed("plainsec");
    expect(after.stack.externalId).toBe("catalog://library:wordpress:0");
    expect(after.stack.dockerCompose).toContain("DB_PASSWORD: ${db_password}");
    const web = after.services.web;
    const lc = web.upgrade?.inServiceStrategy?.launchConfig ?? web.launchConfig;
    expect([lc.labels.rev, lc.environment.DB_PASSWORD]).toEqual(["edited", "${db_password}"]);
    expectStatus(await admin.post(`${project}/stacks/${stack.id}?action=rollback`), 202);
    // A password answer sent with the files (as `rancher up` sends its environment) is sealed
    // with the others, never kept in the stack's environment.
    const withAnswer = await admin.post(`${project}/stacks/${stack.id}?action=upgrade`, {
      dockerCompose: stack.dockerCompose.replace("rev: '0'", "rev: answered"),
      rancherCompose: stack.rancherCompose,
      environment: { db_password: filesSecret },
    });
    expect(withAnswer.status).toBeLessThan(300);
    const answered = await stackNamed("plainsec");
    expect(answered.stack.environment).not.toHaveProperty("db_password");
    const web2 = answered.services.web;
    const lc2 = web2.upgrade?.inServiceStrategy?.launchConfig ?? web2.launchConfig;
    expect([lc2.labels.rev, lc2.environment.DB_PASSWORD]).toEqual(["answered", "${db_password}"]);
    expect(found(JSON.stringify([withAnswer.body, answered]))).toEqual([]);
    expectStatus(await admin.post(`${project}/stacks/${stack.id}?action=rollback`), 202);
  });

  test("the export writes references; launched again with the answers it gives the same services", async () => {
    const { stack, services } = await stackNamed("tplsec");
    const out = expectStatus(await admin.post(`${project}/stacks/${stack.id}?action=exportconfig`), 200).body;
    expect(found(JSON.stringify(out))).toEqual([]);
    expect(out.dockerComposeConfig).toContain("DB_PASSWORD: ${db_password}");
    expect(out.dockerComposeConfig).toContain("URL: postgres://app:${db_password}@db/tplsec");
    const plain = await stackNamed("plainsec");
    const plainOut = (await admin.post(`${project}/stacks/${plain.stack.id}?action=exportconfig`)).body;
    expect(found(JSON.stringify(plainOut))).toEqual([]);
    expect(plainOut.dockerComposeConfig).toContain("DB_PASSWORD: ${db_password}");
    // Deployed again with the answers (the stack is removed after: its environment holds them in clear).
    const again = expectStatus(
      await admin.post(`${project}/stacks`, {
        name: "again",
        dockerCompose: out.dockerComposeConfig,
        rancherCompose: out.rancherComposeConfig,
        environment: { db_password: tplSecret, admin_pw: adminSecret },
        startOnCreate: false,
      }),
      201,
    ).body;
    // A plain stack: its services hold what its environment gave, where the catalog stack's hold references.
    const copy = await stackNamed("again");
    const resolved = Object.fromEntries(
      Object.entries(services.db.launchConfig.environment as Record<string, string>).map(([k, v]) => [
        k,
        v.replace("${db_password}", tplSecret).replace("${admin_pw}", adminSecret),
      ]),
    );
    expect(copy.services.db.launchConfig.environment).toEqual(resolved);
    expect(resolved.URL).toBe(`postgres://app:${tplSecret}@db/tplsec`);
    againId = again.id;
    expectStatus(await admin.del(`${project}/stacks/${again.id}`), 200);
  });

  test("a host gets the real values in the container it is asked to create", async () => {
    const token = expectStatus(await admin.post(`${project}/registrationtokens`, {}), 201).body.token;
    agent = await FakeAgent.join(server.url, token);
    const docker = dockerLike(agent.containers);
    agent.autoReply = (event) => {
      if (event.name === "instance.create") creates.push(event);
      return docker ? docker(event) : {};
    };
    expectStatus(
      await admin.post(`${project}/stacks`, {
        name: "tpldeploy",
        externalId: "catalog://library:secret-tpl:0",
        answers: { db_password: tplSecret, admin_pw: adminSecret },
      }),
      201,
    );
    const create = await until(
      "the container of tpldeploy created on the host",
      () => creates.find((e) => JSON.stringify(e.data).includes("tpldeploy")),
      30_000,
      100,
    );
    const spec = JSON.stringify(create.data);
    expect(spec).toContain(tplSecret);
    expect(spec).toContain(adminSecret);
    expect(spec).toContain(`postgres://app:${tplSecret}@db/tpldeploy`);
    expect(spec).not.toContain("${db_password}");
    const { stack, services } = await stackNamed("tpldeploy");
    expect(found(JSON.stringify((await admin.get(`${project}/stacks/${stack.id}`)).body))).toEqual([]);
    const id = (create.data as { spec: { containerId: string } }).spec.containerId;
    const container = expectStatus(await admin.get(`${project}/containers/${id}`), 200).body;
    expect(container.environment.DB_PASSWORD).toBe("${db_password}");
    expect(found(JSON.stringify([container, services]))).toEqual([]);
  });

  test("a changed password answer upgrades the services using it; the host gets the new value", async () => {
    const { stack } = await stackNamed("tpldeploy");
    const up = await admin.post(`${project}/stacks/${stack.id}?action=upgrade`, {
      answers: { db_password: changedSecret },
    });
    expect(up.status).toBeLessThan(300);
    expect(found(JSON.stringify(up.body))).toEqual([]);
    const create = await until(
      "a container of tpldeploy created with the new answer",
      () => creates.find((e) => JSON.stringify(e.data).includes(changedSecret)),
      30_000,
      100,
    );
    const spec = JSON.stringify(create.data);
    expect(spec).toContain(`postgres://app:${changedSecret}@db/tpldeploy`);
    expect(spec).toContain(adminSecret);
    expect(spec).not.toContain(tplSecret);
    await until(
      "tpldeploy upgraded",
      async () => (await stackNamed("tpldeploy")).services.db.state === "upgraded",
      30_000,
      100,
    );
    expectStatus(await admin.post(`${project}/stacks/${stack.id}?action=finishupgrade`), 202);
    await until(
      "tpldeploy active again",
      async () => (await stackNamed("tpldeploy")).services.db.state === "active",
      30_000,
      100,
    );
  });

  test("no secret in any view of stacks, services or containers (v2-beta, v1), the catalog, the audit log, the event streams or the stored rows", async () => {
    const { stack } = await stackNamed("tplsec");
    const deployed = await stackNamed("tpldeploy");
    const service = deployed.services.db.id;
    const containers = (await admin.get(`${project}/containers?limit=1000`)).body.data as { id: string }[];
    expect(containers.length).toBeGreaterThan(1);
    const v1 = `/v1/projects/${server.admin.defaultProjectId}`;
    const views = [
      `${project}/stacks`,
      `${project}/stacks?name=tplsec`,
      `${project}/stacks/${stack.id}`,
      `${project}/stacks/${deployed.stack.id}`,
      `${project}/services?limit=1000`,
      `${project}/services/${service}`,
      `${project}/containers?limit=1000`,
      `${project}/instances?limit=1000`,
      ...containers.flatMap((c) => [`${project}/containers/${c.id}`, `${project}/instances/${c.id}`]),
      `/v2-beta/services?limit=1000`,
      `/v2-beta/containers?limit=1000`,
      `${v1}/environments`,
      `${v1}/environments/${deployed.stack.id}`,
      `${v1}/environments/${deployed.stack.id}/services`,
      `${v1}/services/${service}`,
      `${v1}/containers?limit=1000`,
      ...containers.map((c) => `${v1}/containers/${c.id}`),
      "/v1-catalog/templates",
      "/v1-catalog/templates/library:secret-tpl",
      "/v1-catalog/templates/library:secret-tpl:0",
      "/v1-catalog/templates/library:wordpress:0",
      "/v2-beta/auditlogs?limit=1000",
    ];
    // The plain stack deployed again from the export holds them as its plain environment, and so
    // do its services and the audit row of that request: any plain stack shows what it was given.
    const ofAgain = (r: {
      id?: string;
      name?: string;
      stackId?: string;
      environmentId?: string;
      requestObject?: { name?: string };
    }) =>
      r.id === againId ||
      r.stackId === againId ||
      r.environmentId === againId ||
      r.requestObject?.name === "again";
    for (const path of views) {
      const res = await admin.get(path);
      expect([path, res.status]).toEqual([path, 200]);
      const body = Array.isArray(res.body.data) ? res.body.data.filter((r: never) => !ofAgain(r)) : res.body;
      expect([path, found(JSON.stringify(body))]).toEqual([path, []]);
    }
    for (const text of streamed) {
      const change = JSON.parse(text) as { data?: { resource?: never } };
      if (change.data?.resource && ofAgain(change.data.resource)) continue;
      expect(found(text)).toEqual([]);
    }
    // The streams did carry the catalog stacks' services and containers.
    expect(streamed.some((t) => t.includes('"DB_PASSWORD":"${db_password}"'))).toBe(true);
    const audits = (await admin.get("/v2-beta/auditlogs?limit=1000")).body.data as {
      eventType: string;
      requestObject: { environment?: Record<string, string>; answers?: Record<string, string> };
    }[];
    const launch = audits.find(
      (a) => a.eventType === "api.stack.create" && JSON.stringify(a.requestObject).includes("secret-tpl:0"),
    );
    expect(launch?.requestObject.environment).toEqual({ db_password: "<redacted>", admin_pw: "<redacted>" });
    const upgrade = audits.find(
      (a) => a.eventType === "api.stack.upgrade" && JSON.stringify(a.requestObject).includes("secret-tpl:1"),
    );
    expect(upgrade?.requestObject.answers).toEqual({ title: "new-title", other_pw: "<redacted>" });
    const changed = audits.find(
      (a) => a.eventType === "api.stack.upgrade" && a.requestObject.answers?.db_password !== undefined,
    );
    expect(changed?.requestObject.answers).toEqual({ db_password: "<redacted>" });
    // At rest: stack rows (with their `previous` files), services, containers and audit rows hold none.
    const rows = server.store.db
      .query<{ type: string; name: string | null; data: string }, []>(
        "SELECT type, name, data FROM resource WHERE type IN ('stack', 'service', 'container', 'auditLog')",
      )
      .all()
      .filter(
        (r) =>
          r.name !== "again" &&
          !r.data.includes('"name":"again"') &&
          !r.data.includes(`"stackId":"${againId}"`),
      );
    expect(rows.filter((r) => found(r.data).length > 0).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(rows.filter((r) => r.type === "container").length).toBeGreaterThan(1);
  });
});
