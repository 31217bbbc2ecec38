import { expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { allocateAddress, allocateUnitAddress, ensureHostSlice } from "./allocation.ts";

const project = "1a1";

function setup() {
  const store = new Store(openDatabase(":memory:"));
  const host = (name: string) =>
    formatId(
      "host",
      store.insert("host", { projectId: project, name, state: "active", data: { labels: {} } }).id,
    );
  return { store, host };
}

function container(store: Store, hostId: string, ip: string, state = "running", serviceId?: string) {
  return store.insert("container", {
    projectId: project,
    state,
    data: { hostId, managedIp: ip, ...(serviceId ? { serviceId } : {}) },
  });
}

test("each host gets its own /24, kept while the host exists and freed when it is removed", () => {
  const { store, host } = setup();
  const a = host("a");
  const b = host("b");
  expect(ensureHostSlice(store, a)).toBe("10.42.0.0/24");
  expect(ensureHostSlice(store, b)).toBe("10.42.1.0/24");
  expect(ensureHostSlice(store, a)).toBe("10.42.0.0/24");
  store.update(Number(a.slice(2)), { state: "removed" });
  expect(ensureHostSlice(store, host("c"))).toBe("10.42.0.0/24");
});

test("addresses are the first free of the host's slice and come back when the container is removed", () => {
  const { store, host } = setup();
  const a = host("a");
  const first = allocateAddress(store, project, a);
  expect(first).toEqual({ managedIp: "10.42.0.2", managedSubnet: "10.42.0.0/24" });
  const c = container(store, a, first.managedIp);
  expect(allocateAddress(store, project, a).managedIp).toBe("10.42.0.3");
  container(store, a, "10.42.0.3", "removing");
  expect(allocateAddress(store, project, a).managedIp).toBe("10.42.0.4");
  store.update(c.id, { state: "removed" });
  expect(allocateAddress(store, project, a).managedIp).toBe("10.42.0.2");
});

test("a requested address must be free and inside the host's slice", () => {
  const { store, host } = setup();
  const a = host("a");
  host("b");
  ensureHostSlice(store, a);
  container(store, a, "10.42.0.9");
  expect(allocateAddress(store, project, a, "10.42.0.50").managedIp).toBe("10.42.0.50");
  expect(() => allocateAddress(store, project, a, "10.42.0.9")).toThrow(/already in use/);
  expect(() => allocateAddress(store, project, a, "10.42.1.5")).toThrow(/slice is 10.42.0.0\/24/);
  expect(() => allocateAddress(store, project, a, "10.42.0.1")).toThrow(/reserved/);
});

test("retain_ip: a replacement unit takes the address of the unit it replaces", () => {
  const { store, host } = setup();
  const a = host("a");
  const svc = store.insert("service", {
    projectId: project,
    name: "web",
    state: "active",
    data: { retainIp: true, scale: 1 },
  });
  const sid = formatId("service", svc.id);
  const one = allocateUnitAddress(store, svc.id, a, { launchConfigName: "", createIndex: 1 });
  expect(one).toMatchObject({ managedIp: "10.42.0.2", slot: "1" });
  const old = container(store, a, one.managedIp, "running", sid);
  // While the unit runs, a second unit (scale up) gets a new slot.
  const two = allocateUnitAddress(store, svc.id, a, { launchConfigName: "", createIndex: 2 });
  expect(two).toMatchObject({ managedIp: "10.42.0.3", slot: "2" });
  container(store, a, two.managedIp, "running", sid);
  // Unit 1 is being replaced: its successor (createIndex 3) takes slot 1's address.
  store.update(old.id, { state: "removing" });
  const three = allocateUnitAddress(store, svc.id, a, { launchConfigName: "", createIndex: 3 });
  expect(three).toMatchObject({ managedIp: "10.42.0.2", slot: "1" });
  // Retained addresses stay reserved for the service even while no container holds them.
  store.update(old.id, { state: "removed" });
  expect(allocateAddress(store, project, a).managedIp).toBe("10.42.0.4");
  expect(store.get<{ retainedIps: object }>(svc.id)!.data.retainedIps).toEqual({
    "1": "10.42.0.2",
    "2": "10.42.0.3",
  });
});

test("without retain_ip a replacement gets a fresh address", () => {
  const { store, host } = setup();
  const a = host("a");
  const svc = store.insert("service", {
    projectId: project,
    name: "web",
    state: "active",
    data: { scale: 1 },
  });
  const one = allocateUnitAddress(store, svc.id, a, { launchConfigName: "", createIndex: 1 });
  const old = container(store, a, one.managedIp);
  store.update(old.id, { state: "removing" });
  expect(allocateUnitAddress(store, svc.id, a, { launchConfigName: "", createIndex: 2 }).managedIp).toBe(
    "10.42.0.3",
  );
});
