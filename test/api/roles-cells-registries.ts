/**
 * Cells of the role matrix test for registries, registry credentials and secrets (all under user
 * stacks, as Rancher 1.6 had them), and the shared rows they act on.
 */

import { expectStatus, uniqueName } from "./harness.ts";
import type { Cell } from "./roles-cells.ts";
import { cellKit } from "./roles-cells.ts";
import { factories, type World } from "./roles-kit.ts";

/** The plain values of the shared rows: no caller may ever read them back. */
export const hiddenValues = {
  password: "roles-pw-9Qx2Lm",
  secret: Buffer.from("roles-secret-7Hd").toString("base64"),
};

/** Makers of registries, credentials and secrets, as the admin. */
export function registryFactories(w: World) {
  const { base } = factories(w);
  const f = {
    async registry(): Promise<string> {
      const address = `${uniqueName("reg")
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "")}.example:5000`;
      return expectStatus(await w.admin.post(`${base}/registries`, { serverAddress: address }), 201).body.id;
    },
    async credential(): Promise<string> {
      const registryId = await f.registry();
      return expectStatus(
        await w.admin.post(`${base}/registrycredentials`, {
          registryId,
          publicValue: "ci",
          secretValue: hiddenValues.password,
        }),
        201,
      ).body.id;
    },
    async secret(): Promise<string> {
      return expectStatus(
        await w.admin.post(`${base}/secrets`, { name: uniqueName("sec"), value: hiddenValues.secret }),
        201,
      ).body.id;
    },
  };
  return f;
}

/** Adds the shared registry, credential and secret to the world. */
export async function addRegistryRows(w: World): Promise<void> {
  const f = registryFactories(w);
  w.shared.registry = await f.registry();
  w.shared.registryCredential = await f.credential();
  w.shared.secret = await f.secret();
}

/** The cells of registries, credentials and secrets. */
export function registryCells(w: World): Cell[] {
  const { p, s, fresh, out, add, reads, action } = cellKit(w);
  const f = registryFactories(w);
  const kinds = [
    [
      "registry",
      "registries",
      () => f.registry(),
      { description: "changed" },
      () => ({
        serverAddress: `${uniqueName("r")
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "")}.example`,
      }),
    ],
    ["registryCredential", "registrycredentials", () => f.credential(), { email: "x@example.com" }, null],
    [
      "secret",
      "secrets",
      () => f.secret(),
      { description: "changed" },
      () => ({ name: uniqueName("s"), value: hiddenValues.secret }),
    ],
  ] as const;
  for (const [key, collection, make, update, createBody] of kinds) {
    reads(key, collection, "userStacks", key);
    if (createBody)
      add({
        what: key,
        verb: "create",
        area: "userStacks",
        op: "create",
        ok: 201,
        shared: s(key),
        request: () => ["POST", `${p}/${collection}`, createBody()],
      });
    add({
      what: key,
      verb: "update",
      area: "userStacks",
      op: "update",
      ok: 200,
      shared: s(key),
      request: (t) => ["PUT", `${p}/${collection}/${t.id}`, update],
    });
    add({
      what: key,
      verb: "remove",
      area: "userStacks",
      op: "remove",
      ok: 200,
      fresh: fresh(make),
      shared: s(key),
      request: (t) => ["DELETE", `${p}/${collection}/${t.id}`],
    });
    action(key, collection, "userStacks", "remove", 200, make, key);
  }
  // A credential needs a registry of its own (one credential per registry).
  add({
    what: "registryCredential",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    fresh: fresh(() => f.registry()),
    shared: s("registry"),
    request: (t) => [
      "POST",
      `${p}/registrycredentials`,
      { registryId: t.id, publicValue: "u", secretValue: "p" },
    ],
  });
  return out;
}
