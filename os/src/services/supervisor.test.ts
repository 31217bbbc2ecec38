// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${corral.x} is the service.yml substitution syntax under test
import { describe, expect, test } from "bun:test";
import { sleep } from "@corral/lib";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc, until } from "../../testing/services.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { missingCapabilities } from "./capabilities.ts";
import { containerOptions } from "./container-spec.ts";
import { isEnabled, substitute } from "./service-config.ts";
import { parseServiceFile } from "./service-file.ts";
import { imageOrder, orderServices } from "./service-order.ts";
import { Supervisor } from "./supervisor.ts";

describe("image load order", () => {
  test("images of enabled services in start order", () => {
    const specs = [
      parseServiceFile("udev", "image: os-base\noneshot: true\n", "udev/service.yml"),
      parseServiceFile("console", "image: os-console\n", "console/service.yml"),
      parseServiceFile("user-docker", "image: os-docker\n", "user-docker/service.yml"),
      parseServiceFile(
        "agent",
        "image: os-corral\nafter: [user-docker]\nenabled: corral.agent.url\n",
        "a/service.yml",
      ),
    ];
    expect(imageOrder(specs, {})).toEqual(["os-console", "os-base", "os-docker"]);
    expect(imageOrder(specs, { corral: { agent: { url: "http://s" } } })).toEqual([
      "os-console",
      "os-base",
      "os-docker",
      "os-corral",
    ]);
  });
});

describe("service order", () => {
  test("after edges, ties by name, disabled deps ignored", () => {
    const order = orderServices([
      svc("c", "after: [b, gone]"),
      svc("b", "after: [a]"),
      svc("a", ""),
      svc("d", ""),
    ]);
    expect(order.map((s) => s.name)).toEqual(["a", "d", "b", "c"]);
  });

  test("cycles are named", () => {
    expect(() =>
      orderServices([svc("a", "after: [b]"), svc("b", "after: [c]"), svc("c", "after: [a]")]),
    ).toThrow("cycle: a -> b -> c -> a");
    expect(() => orderServices([svc("a", "after: [a]")])).toThrow("after itself");
  });
});

describe("service config", () => {
  const config: CorralConfig = {
    corral: { agent: { url: "http://s:8080" }, modules: ["a", "b"], services_include: { x: false } },
  };
  test("enabled by boolean, config path, services_include, disable", () => {
    expect(isEnabled(svc("a", "enabled: corral.agent.url"), config)).toBe(true);
    expect(isEnabled(svc("a", "enabled: rancher.server.enabled"), config)).toBe(false);
    expect(isEnabled(svc("x", ""), config)).toBe(false);
    expect(isEnabled(svc("y", "enabled: false"), { corral: { services_include: { y: true } } })).toBe(true);
    expect(isEnabled(svc("z", ""), { corral: { disable: ["z"] } })).toBe(false);
  });

  test("substitution of config values", () => {
    expect(
      substitute("U=${corral.agent.url} M=${rancher.modules} N=${corral.nope} $${corral.agent.url}", config),
    ).toBe("U=http://s:8080 M=a,b N= ${corral.agent.url}");
  });

  test("container options: env, command, labels, privileged from CapBnd", () => {
    const spec = svc(
      "agent",
      "command: agent --url ${corral.agent.url}\nenvironment: {A: '${corral.agent.url}', B: 1}\nprivileged: true\npid: host",
    );
    const full = containerOptions(spec, config, []);
    expect(full.Cmd).toEqual(["agent", "--url", "http://s:8080"]);
    expect(full.Env).toEqual(["A=http://s:8080", "B=1"]);
    expect(full.HostConfig?.Privileged).toBe(true);
    expect(full.HostConfig?.PidMode).toBe("host");
    expect(full.HostConfig?.RestartPolicy?.Name).toBe("no");
    const missing = missingCapabilities(0x1ffffffffffn & ~(1n << 24n), 40);
    expect(missing).toEqual(["CAP_SYS_RESOURCE"]);
    const partial = containerOptions(spec, config, missing);
    expect(partial.HostConfig?.Privileged).toBeUndefined();
    expect(partial.HostConfig?.CapDrop).toEqual(["CAP_SYS_RESOURCE"]);
    expect(partial.HostConfig?.Binds).toContain("/sys/fs/cgroup:/sys/fs/cgroup:rw");
    expect(full.Labels?.["io.corral.os.hash"]).not.toBe(
      containerOptions(spec, { corral: {} }, []).Labels?.["io.corral.os.hash"],
    );
  });
});

describe("supervisor", () => {
  test("starts in order, waits for one-shots, create_only is only created", async () => {
    const engine = new FakeEngine();
    engine.exitOnStart.set("init", 0);
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile(
      [svc("app", "after: [init, vols]"), svc("init", "oneshot: true"), svc("vols", "create_only: true")],
      {},
    );
    expect(engine.events).toEqual(["create init", "create vols", "start init", "create app", "start app"]);
    expect(sup.status().map((s) => [s.name, s.state])).toEqual([
      ["init", "completed"],
      ["vols", "created"],
      ["app", "running"],
    ]);
    await sup.stopAll();
  });

  test("a failed one-shot blocks its dependents; the reconcile reports it, the next one runs it again", async () => {
    const engine = new FakeEngine();
    engine.exitOnStart.set("init", 3);
    const sup = new Supervisor(engine, quiet);
    const status = await sup.reconcile(
      [svc("app", "after: [init]"), svc("init", "oneshot: true"), svc("other", "")],
      {},
    );
    expect(status.map((s) => [s.name, s.state, s.error])).toEqual([
      ["init", "failed", "exited with code 3"],
      ["other", "running", undefined],
      ["app", "blocked", "needs init, which failed"],
    ]);
    engine.exitOnStart.set("init", 0);
    const again = await sup.reconcile(
      [svc("app", "after: [init]"), svc("init", "oneshot: true"), svc("other", "")],
      {},
    );
    expect(again.map((s) => s.state)).toEqual(["completed", "running", "running"]);
    expect(engine.starts("init")).toBe(2);
    expect(engine.starts("other")).toBe(1);
    await sup.stopAll();
  });

  test("a missing image: that service is retried with its error shown, the others run", async () => {
    const engine = new FakeEngine();
    engine.failCreate.add("bad");
    const sup = new Supervisor(engine, quiet);
    const status = await sup.reconcile([svc("bad", ""), svc("good", "")], {});
    expect(status.find((s) => s.name === "good")?.state).toBe("running");
    expect(status.find((s) => s.name === "bad")?.error).toContain("No such image");
    await until(() => (sup.status()[0]?.restarts ?? 0) >= 2);
    engine.failCreate.delete("bad");
    await until(() => sup.status()[0]?.state === "running");
    await sup.stopAll();
  });

  test("each service waits for its own image only; one whose image fails to load is retried", async () => {
    const engine = new FakeEngine();
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const imageReady = (image: string) =>
      image === "img/late"
        ? slow
        : image === "img/broken"
          ? Promise.reject(new Error("loading x.tar failed"))
          : Promise.resolve();
    const sup = new Supervisor(engine, { ...quiet, imageReady });
    const done = sup.reconcile(
      [
        svc("late", ""),
        svc("early", ""),
        parseServiceFile("broken", "image: img/broken\n", "broken/service.yml"),
        parseServiceFile("dep", "image: img/early\nafter: [broken]\n", "dep/service.yml"),
      ],
      {},
    );
    await until(() => engine.starts("early") === 1);
    expect(engine.events).not.toContain("create late");
    release();
    const status = await done;
    expect(status.find((s) => s.name === "broken")?.error).toBe("start failed: loading x.tar failed");
    expect(status.find((s) => s.name === "dep")).toMatchObject({
      state: "waiting",
      error: "needs broken, not ready yet",
    });
    expect(engine.starts("late")).toBe(1);
    await sup.stopAll();
  });

  test("restarts with backoff, then the crash-loop guard holds off", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, { ...quiet, maxRestarts: 3, windowMs: 10_000, cooldownMs: 150 });
    await sup.reconcile([svc("web", "restart: always")], {});
    engine.crash("web", 1);
    await until(() => engine.starts("web") === 2);
    engine.exitOnStart.set("web", 1);
    engine.crash("web", 1);
    await until(() => sup.status()[0]?.state === "crash-loop");
    const during = engine.starts("web");
    await sleep(60);
    expect(engine.starts("web")).toBe(during);
    engine.exitOnStart.delete("web");
    await until(() => sup.status()[0]?.state === "running");
    expect(sup.status()[0]?.restarts).toBeGreaterThanOrEqual(3);
    await sup.stopAll();
  });

  test("restart policies no and on-failure", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile([svc("a", "restart: 'no'"), svc("b", "restart: on-failure")], {});
    engine.crash("a", 1);
    engine.crash("b", 0);
    await until(() => sup.status().every((s) => s.state === "failed" || s.state === "exited"));
    expect(engine.starts("a") + engine.starts("b")).toBe(2);
    await sup.stopAll();
  });

  test("reconcile recreates what changed and removes what was disabled", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    const specs = [svc("agent", "environment: {U: '${corral.agent.url}'}"), svc("ntp", "")];
    await sup.reconcile(specs, { corral: { agent: { url: "a" } } });
    engine.events.length = 0;
    await sup.reconcile(specs, { corral: { agent: { url: "b" }, services_include: { ntp: false } } });
    expect(engine.events).toEqual([
      "stop ntp",
      "remove ntp",
      "stop agent",
      "remove agent",
      "create agent",
      "start agent",
    ]);
    expect(engine.containers.get("agent")?.options.Env).toEqual(["U=b"]);
    engine.events.length = 0;
    await sup.reconcile(specs, { corral: { agent: { url: "b" }, services_include: { ntp: false } } });
    expect(engine.events).toEqual([]);
    await sup.stopAll();
    expect(sup.status().every((s) => s.state === "stopped")).toBe(true);
  });
});
