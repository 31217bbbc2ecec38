// Finding 13 of issue 12: wrong field types answered MissingRequired, and `created_gt=abc` was a
// 200 (compared as text). Now a present field of the wrong type is InvalidFormat, an absent one
// MissingRequired, and every date, number and boolean filter with a value of the wrong kind is a
// 422 InvalidFormat on every collection, read from the API's own schemas.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import {
  adminClient,
  type Client,
  createProject,
  type ProjectFixture,
  startTestServer,
} from "../api/harness.ts";
import { expectErrorBody } from "./kit.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  await server.stop();
});

async function codeOf(client: Client, method: "POST" | "PUT", path: string, body: unknown): Promise<string> {
  const res = await client.raw(method, path, {
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
  });
  return expectErrorBody(res.status, res.body).code;
}

describe("wrong types are InvalidFormat, absent fields MissingRequired", () => {
  const creates: [who: () => Client, path: () => string, wrongType: unknown, missing: unknown][] = [
    [() => admin, () => "/v2-beta/projects", { name: 5 }, {}],
    [() => admin, () => "/v2-beta/projects", { name: ["x"] }, { description: "no name" }],
    [() => admin, () => "/v2-beta/accounts", { name: { a: 1 } }, {}],
    [
      () => project.client,
      () => `/v2-beta/projects/${project.id}/stacks`,
      { name: "ok", dockerCompose: 5 },
      { dockerCompose: "" },
    ],
    [
      () => project.client,
      () => `/v2-beta/projects/${project.id}/stacks`,
      { name: true },
      { startOnCreate: false },
    ],
    [
      () => project.client,
      () => `/v2-beta/projects/${project.id}/containers`,
      { imageUuid: 5 },
      { name: "no-image" },
    ],
    [
      () => project.client,
      () => `/v2-beta/projects/${project.id}/containers`,
      { imageUuid: "docker:busybox", ports: "80:80" },
      {},
    ],
  ];
  for (const [who, path, wrongType, missing] of creates) {
    test(`POST ${JSON.stringify(wrongType)} and ${JSON.stringify(missing)}`, async () => {
      expect(await codeOf(who(), "POST", path(), wrongType)).toBe("InvalidFormat");
      expect(await codeOf(who(), "POST", path(), missing)).toBe("MissingRequired");
    });
  }

  test("an edit with a wrong type is InvalidFormat", async () => {
    expect(await codeOf(admin, "PUT", `/v2-beta/projects/${project.id}`, { name: 7 })).toBe("InvalidFormat");
    expect(await codeOf(admin, "PUT", `/v2-beta/projects/${project.id}`, { description: false })).toBe(
      "InvalidFormat",
    );
  });
});

describe("filter values of the wrong kind", () => {
  test("created_gt=abc is 422 InvalidFormat (it was a 200)", async () => {
    const res = await admin.get("/v2-beta/projects?created_gt=abc");
    expect(res.status).toBe(422);
    expect(expectErrorBody(422, res.body)).toMatchObject({ code: "InvalidFormat" });
  });

  test("every date, int and boolean filter of every collection refuses a bad value", async () => {
    const schemas = (await admin.get("/v2-beta/schemas")).body.data as {
      pluralName: string;
      resourceFields: Record<string, { type: string }>;
      collectionFilters: Record<string, unknown>;
    }[];
    const bad: Record<string, string[]> = {
      date: ["abc", "2026-13-45", "yesterday", "1e9"],
      int: ["many", "1.5", "0x10", ""],
      boolean: ["yes", "1", "TRUE"],
    };
    let checked = 0;
    for (const s of schemas) {
      for (const field of Object.keys(s.collectionFilters)) {
        const values = bad[s.resourceFields[field]?.type ?? ""];
        if (!values) continue;
        for (const modifier of ["", "_ne", "_gt", "_lte"]) {
          for (const v of values) {
            const res = await admin.get(
              `/v2-beta/${s.pluralName}?${field}${modifier}=${encodeURIComponent(v)}`,
            );
            expect([s.pluralName, field, modifier, v, res.status, res.body.code]).toEqual([
              s.pluralName,
              field,
              modifier,
              v,
              422,
              "InvalidFormat",
            ]);
            checked++;
          }
        }
      }
    }
    // created and removed on every collection, plus the typed fields of some.
    expect(checked).toBeGreaterThan(200);
  });

  test("good values still filter", async () => {
    const now = new Date().toISOString();
    expect((await admin.get(`/v2-beta/projects?created_lte=${encodeURIComponent(now)}`)).status).toBe(200);
    expect((await admin.get(`/v2-beta/projects?created_gt=0`)).status).toBe(200);
    expect((await admin.get("/v2-beta/auditlogs?responseCode=201")).status).toBe(200);
    expect((await admin.get("/v2-beta/auditlogs?removed_null=")).status).toBe(200);
  });
});
