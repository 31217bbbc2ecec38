// The role matrix, walked whole over HTTP: every caller (admin, environment key, a member of each of
// Rancher 1.6's four roles with a real account API key, a person of no environment) x every resource
// type and kind of stack x every verb, each with its exact status; then the event stream and logs
// and exec websockets under the same rules, and people's own account keys.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectStatus } from "./harness.ts";
import { type Cell, expected, rancherTable } from "./roles-cells.ts";
import { environmentCells } from "./roles-cells-env.ts";
import { addRegistryRows, hiddenValues, registryCells } from "./roles-cells-registries.ts";
import { stackCells } from "./roles-cells-stacks.ts";
import { buildWorld, everyone, type World } from "./roles-kit.ts";

let w: World;

/** Every cell of the matrix. */
const cells = (world: World): Cell[] => [
  ...environmentCells(world),
  ...stackCells(world),
  ...registryCells(world),
];

beforeAll(async () => {
  w = await buildWorld();
  await addRegistryRows(w);
}, 120_000);

afterAll(async () => {
  for (const a of w?.agents ?? []) await a.close();
  await w?.server.stop();
});

describe("every role x every resource x every verb", () => {
  test("answers exactly as Rancher 1.6's table says", async () => {
    const wrong: string[] = [];
    for (const cell of cells(w)) {
      for (const who of everyone) {
        const want = expected(cell, who);
        // Callers who get past the role check act on a fresh row; refused ones on the shared one.
        const byTable = want === 403 && cell.except?.[who] === undefined;
        const target = cell.fresh && !byTable && want !== 404 ? await cell.fresh() : cell.shared();
        const client = who === "envKey" && target.envKey ? target.envKey : w.clients[who];
        const [method, path, body] = cell.request(target);
        const r =
          method === "GET"
            ? await client.get(path)
            : method === "DELETE"
              ? await client.del(path)
              : method === "PUT"
                ? await client.put(path, body)
                : await client.post(path, body);
        const line = `${cell.what} ${cell.verb} as ${who}: ${method} ${path}`;
        if (r.status !== want)
          wrong.push(`${line} -> ${r.status} (want ${want}) ${JSON.stringify(r.body).slice(0, 200)}`);
        // A refusal by the table names the caller's role.
        else if (byTable && !String(r.body.message).includes(`is ${who}`))
          wrong.push(`${line} -> 403 without the role: ${r.body.message}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 600_000);
});

describe("registry credentials and secrets", () => {
  test("are listed to every member, read-only included, and never show their values", async () => {
    const wrong: string[] = [];
    for (const who of everyone) {
      for (const c of ["registrycredentials", "secrets"]) {
        const r = await w.clients[who].get(`/v2-beta/projects/${w.project.id}/${c}?limit=1000`);
        if (who === "outsider") {
          if (r.status !== 404) wrong.push(`${c} as outsider: ${r.status}`);
          continue;
        }
        const text = JSON.stringify(r.body);
        if (r.status !== 200 || r.body.data.length === 0) wrong.push(`${c} as ${who}: ${r.status}`);
        if (text.includes(hiddenValues.password) || text.includes(hiddenValues.secret))
          wrong.push(`${c} as ${who}: the value is shown`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("lists across all environments", () => {
  test("hold the environment's rows only for callers whose role may read them", async () => {
    const lists: [string, string, string][] = [
      ["containers", "container", "userStacks"],
      ["hosts", "host", "hosts"],
      ["registrationtokens", "token", "registrationTokens"],
      ["auditlogs", "auditLog", "auditLogs"],
      ["projectmembers", "member", "membership"],
      ["projects", "project", "environment"],
    ];
    const wrong: string[] = [];
    for (const [collection, key, area] of lists) {
      for (const who of everyone) {
        const r = await w.clients[who].get(`/v2-beta/${collection}?limit=1000`);
        const listed = r.status === 200 && r.body.data.some((x: { id: string }) => x.id === w.shared[key]);
        const want =
          who === "admin" ||
          who === "envKey" ||
          (who !== "outsider" && rancherTable[area]![who]!.includes("r"));
        if (r.status !== 200 || listed !== want)
          wrong.push(`${collection} as ${who}: ${r.status}, listed ${listed}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("the actions a resource lists", () => {
  test("are those the caller's role may call, in reads, lists and answers", async () => {
    const c = `/v2-beta/projects/${w.project.id}/containers/${w.shared.container}`;
    const actionsOf = async (who: (typeof everyone)[number], path: string) =>
      Object.keys(expectStatus(await w.clients[who].get(path), 200).body.actions).sort();
    expect(await actionsOf("admin", c)).toEqual(["execute", "logs", "remove", "restart", "stop"]);
    expect(await actionsOf("restricted", c)).toEqual(["execute", "logs", "remove", "restart", "stop"]);
    expect(await actionsOf("readonly", c)).toEqual(["logs"]);
    const env = `/v2-beta/projects/${w.project.id}`;
    expect(await actionsOf("owner", env)).toEqual([
      "deactivate",
      "osupgrade",
      "rotateipsecpsk",
      "setmembers",
    ]);
    expect(await actionsOf("member", env)).toEqual([]);
    const listed = expectStatus(await w.clients.readonly.get(`${env}/containers?limit=1000`), 200).body.data;
    const row = listed.find((x: { id: string }) => x.id === w.shared.container);
    expect(Object.keys(row.actions)).toEqual(["logs"]);
    // The admin's cached list of the same page still shows every action.
    const adminRow = expectStatus(await w.admin.get(`${env}/containers?limit=1000`), 200).body.data.find(
      (x: { id: string }) => x.id === w.shared.container,
    );
    expect(Object.keys(adminRow.actions).sort()).toEqual(["execute", "logs", "remove", "restart", "stop"]);
    // Infrastructure rows: a member may not create there but may act; read-only sees no logs.
    const ic = `${env}/containers/${w.shared.infraContainer}`;
    expect(await actionsOf("readonly", ic)).toEqual([]);
    expect(await actionsOf("restricted", ic)).toEqual(["logs"]);
  });
});
