import { afterEach, describe, expect, test } from "bun:test";
import { formatId, launchConfigSchema } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import type { ContainerFields } from "../model/container.ts";
import type { VolumeFields } from "../model/volume.ts";
import { perContainerVolumes, trackContainerVolumes } from "./container-volumes.ts";
import { containerAction, createContainer } from "./containers.ts";

describe("per-container volume names", () => {
  test("each per_container mount is <volume>_<container>; others are not its own", () => {
    const lc = launchConfigSchema.parse({
      imageUuid: "docker:busybox",
      dataVolumes: ["own:/o:ro", "shared:/s", "/host:/h", "/anon", "own:/again"],
      volumeTemplates: {
        own: { driver: "local", driverOpts: { type: "tmpfs" }, perContainer: true },
        shared: { driver: "local", driverOpts: { type: "tmpfs" }, perContainer: false },
      },
    });
    const volumes = perContainerVolumes(lc as unknown as ContainerFields, "web-app-1");
    expect(volumes).toEqual([
      {
        name: "own_web-app-1",
        source: "own",
        template: { driver: "local", driverOpts: { type: "tmpfs" }, perContainer: true },
      },
    ]);
  });
});

describe("a server that was down catches up", () => {
  let kit: OrchestratorKit | undefined;
  afterEach(() => kit?.close());

  const compose = [
    "version: '2'",
    "services:",
    "  app:",
    "    image: busybox",
    "    volumes: [cache:/c]",
    "volumes:",
    "  cache:",
    "    per_container: true",
    "",
  ].join("\n");

  test("rows for containers made meanwhile; volumes of containers removed meanwhile go once their host is back", async () => {
    kit = OrchestratorKit.start({ hosts: [{}] });
    const k = kit;
    const host = k.hostIds[0]!;
    k.createStack("s", compose, "app:\n  scale: 2\n");
    await k.until("two running", () => k.containers("app", ["running"]).length === 2);
    const rows = () => k.store.all<VolumeFields>("volume", { projectId: k.projectId });

    // Started after the containers were made (as at a server start): it lists their volumes.
    let stop = trackContainerVolumes(k.store, k.agents);
    await k.until("two volume rows", () => rows().length === 2);
    const names = k.containers("app").map((c) => `cache_${c.name}`);
    expect(
      rows()
        .map((v) => v.name)
        .sort(),
    ).toEqual(names.sort());
    expect(rows().every((v) => v.state === "active" && v.data.hostIds.includes(host))).toBe(true);
    stop();

    // Down: a container is removed, and the host's agent is away when the server comes back.
    k.scale("app", 1);
    await k.until("one container left", () => k.containers("app").length === 1);
    const kept = formatId("container", k.containers("app")[0]!.id);
    const gone = rows().find((v) => v.data.instanceId !== kept)!;
    expect(gone.state).toBe("active");
    k.disconnectHost(host);
    const removesBefore = k.agents.events.filter((e) => e.name === "volume.remove").length;
    stop = trackContainerVolumes(k.store, k.agents);
    await k.advance(5000);
    // Not dropped from the list while its engine still holds it.
    expect(k.store.get<VolumeFields>(gone.id)!.state).toBe("removing");

    k.reconnectHost(host);
    await k.until("the volume removed", () => k.store.get<VolumeFields>(gone.id)!.state === "removed");
    expect(k.agents.events.filter((e) => e.name === "volume.remove" && e.hostId === host).length).toBe(
      removesBefore + 1,
    );
    expect(rows().find((v) => v.data.instanceId === kept)!.state).toBe("active");
    stop();
  });
});

describe("a volume its engine kept", () => {
  let kit: OrchestratorKit | undefined;
  afterEach(() => kit?.close());

  test("stays listed, and follows the next container of that name, which mounts it", async () => {
    kit = OrchestratorKit.start({ hosts: [{}] });
    const k = kit;
    const stop = trackContainerVolumes(k.store, k.agents);
    const body = {
      name: "solo",
      imageUuid: "docker:busybox",
      dataVolumes: ["scratch:/s"],
      volumeTemplates: { scratch: { driver: "local", driverOpts: {}, perContainer: true } },
    };
    const live = () =>
      k.store
        .all<VolumeFields>("volume", { projectId: k.projectId, state: ["active", "removing", "error"] })
        .filter((v) => v.name === "scratch_solo");
    const running = (id: number) => k.store.get(id)?.state === "running";
    k.agents.misbehave({ name: "volume.remove" }, { kind: "fail", message: "volume is in use" });
    const first = createContainer(k.ctx, k.projectId, body);
    await k.until("first running", () => running(first.id));
    const [row] = live();
    containerAction(k.ctx, formatId("container", first.id), "remove");
    await k.until("the removal refused", () =>
      live()[0]?.data.transitioningMessage?.startsWith("not removed"),
    );
    expect(live().map((v) => [v.id, v.state])).toEqual([[row!.id, "active"]]);

    k.agents.behave();
    const second = createContainer(k.ctx, k.projectId, body);
    await k.until("second running", () => running(second.id));
    expect(live().map((v) => [v.id, v.data.instanceId])).toEqual([
      [row!.id, formatId("container", second.id)],
    ]);
    containerAction(k.ctx, formatId("container", second.id), "remove");
    await k.until("the volume removed", () => k.store.get(row!.id)?.state === "removed");
    stop();
  });
});
