import { expect, test } from "bun:test";
import { allows, areas, higherRole, operationOfAction, operations } from "./role-matrix.ts";
import { roles } from "./roles.ts";

/** Rancher 1.6's table, written out cell by cell: what each role may do, as letters. */
const expected: Record<string, Record<string, string>> = {
  membership: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environment: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environmentKeys: { owner: "crud", member: "", restricted: "", readonly: "" },
  auditLogs: { owner: "r", member: "r", restricted: "", readonly: "" },
  hosts: { owner: "crud", member: "crud", restricted: "r", readonly: "r" },
  registrationTokens: { owner: "crud", member: "crud", restricted: "", readonly: "" },
  userStacks: { owner: "crudle", member: "crudle", restricted: "crudle", readonly: "rl" },
  infraStacks: { owner: "crudle", member: "rudle", restricted: "rl", readonly: "r" },
};
const letter = { read: "r", create: "c", update: "u", remove: "d", logs: "l", exec: "e" } as const;

test("every role, area and operation answers as Rancher 1.6's table", () => {
  for (const area of areas)
    for (const role of roles)
      for (const op of operations)
        expect([area, role, op, allows(role, area, op)]).toEqual([
          area,
          role,
          op,
          expected[area]![role]!.includes(letter[op]),
        ]);
});

test("read-only sees logs of user containers but may never exec; restricted reads infrastructure logs", () => {
  expect(allows("readonly", "userStacks", "logs")).toBe(true);
  expect(allows("readonly", "userStacks", "exec")).toBe(false);
  expect(allows("restricted", "infraStacks", "logs")).toBe(true);
  expect(allows("restricted", "infraStacks", "exec")).toBe(false);
});

test("the highest role wins", () => {
  expect(higherRole("readonly", "member")).toBe("member");
  expect(higherRole("owner", "restricted")).toBe("owner");
  expect(higherRole(undefined, "readonly")).toBe("readonly");
});

test("actions map to operations by name", () => {
  expect(["logs", "execute", "remove", "exportconfig", "stop"].map(operationOfAction)).toEqual([
    "logs",
    "exec",
    "remove",
    "read",
    "update",
  ]);
});
