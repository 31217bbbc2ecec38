import { expect, test } from "bun:test";
import { effect } from "@preact/signals";
import { ResourceTable } from "./table.ts";
import type { Container } from "./types.ts";

const c = (id: string, fields: Partial<Container> = {}): Container => ({
  id,
  type: "container",
  name: id,
  state: "running",
  links: {},
  actions: {},
  ...fields,
});

test("an update to one resource changes its signal only, not the id list", () => {
  const table = new ResourceTable<Container>(["serviceId"]);
  table.replace([c("1i1", { serviceId: "1s1" }), c("1i2", { serviceId: "1s1" })]);
  let idRuns = 0;
  let otherRuns = 0;
  const stopIds = effect(() => {
    table.ids.value;
    idRuns++;
  });
  const stopOther = effect(() => {
    table.row("1i2")!.value;
    otherRuns++;
  });
  table.upsert(c("1i1", { serviceId: "1s1", state: "stopped" }));
  expect(table.row("1i1")!.value.state).toBe("stopped");
  expect([idRuns, otherRuns]).toEqual([1, 1]);
  stopIds();
  stopOther();
});

test("groups follow adds, moves and removals", () => {
  const table = new ResourceTable<Container>(["serviceId"]);
  table.replace([c("1i1", { serviceId: "1s1" })]);
  table.upsert(c("1i2", { serviceId: "1s1" }));
  expect(table.group("serviceId", "1s1").value).toEqual(["1i1", "1i2"]);
  table.upsert(c("1i2", { serviceId: "1s2" }));
  expect(table.group("serviceId", "1s1").value).toEqual(["1i1"]);
  expect(table.group("serviceId", "1s2").value).toEqual(["1i2"]);
  table.upsert(c("1i1", { serviceId: "1s1", state: "removed" }));
  expect(table.group("serviceId", "1s1").value).toEqual([]);
  expect(table.ids.value).toEqual(["1i2"]);
});

test("replace drops what the fresh list no longer has", () => {
  const table = new ResourceTable<Container>();
  table.replace([c("1i1"), c("1i2")]);
  table.replace([c("1i2"), c("1i3")]);
  expect(table.ids.value).toEqual(["1i2", "1i3"]);
  expect(table.loaded.value).toBe(true);
});

test("the same list loaded again, or a repeated event, re-renders nothing", () => {
  const table = new ResourceTable<Container>(["serviceId"]);
  table.replace([c("1i1", { serviceId: "1s1" }), c("1i2", { serviceId: "1s1" })]);
  let runs = 0;
  const stop = effect(() => {
    table.ids.value;
    table.group("serviceId", "1s1").value;
    table.row("1i1")!.value;
    table.row("1i2")!.value;
    runs++;
  });
  table.replace([c("1i1", { serviceId: "1s1" }), c("1i2", { serviceId: "1s1" })]);
  table.upsert(c("1i2", { serviceId: "1s1" }));
  expect(runs).toBe(1);
  table.upsert(c("1i2", { serviceId: "1s1", state: "stopped" }));
  expect(runs).toBe(2);
  expect(table.row("1i2")!.value.state).toBe("stopped");
  stop();
});

test("a first list fills the id list and the groups in one write each", () => {
  const table = new ResourceTable<Container>(["serviceId", "hostId"]);
  let idWrites = 0;
  const stop = effect(() => {
    table.ids.value;
    idWrites++;
  });
  table.replace([
    c("1i1", { serviceId: "1s1", hostId: "1h1" }),
    c("1i2", { serviceId: "1s2", hostId: "1h1" }),
    c("1i3", { serviceId: "1s1" }),
    c("1i4", { state: "removed", serviceId: "1s1" }),
  ]);
  expect(idWrites).toBe(2);
  expect(table.ids.value).toEqual(["1i1", "1i2", "1i3"]);
  expect(table.group("serviceId", "1s1").value).toEqual(["1i1", "1i3"]);
  expect(table.group("serviceId", "1s2").value).toEqual(["1i2"]);
  expect(table.group("hostId", "1h1").value).toEqual(["1i1", "1i2"]);
  stop();
});
