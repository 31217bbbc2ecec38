import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type AgentFrame, corralOsFactsSchema, parseEventReply } from "@corral/api";
import { createLogger } from "@corral/lib";
import { FakeDriver } from "../testing/fake-driver.ts";
import { EventHandler } from "./event-handler.ts";
import { localInitClient, readCorralOs, readHostOsRelease, socketInitClient } from "./os-facts.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A host tree as the agent's container sees it: PID 1's root, /proc files, the state partition. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "corral-osfacts-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const corralRelease = 'NAME="CorralOS"\nID=corralos\nVERSION_ID=0.2.0\nPRETTY_NAME="CorralOS 0.2.0"\n';

/** A stand-in for PID 1's control socket, answering as serveControl does; records each request. */
function fakeInit(root: string, opts: { refuse?: string } = {}) {
  const path = join(root, "run/corral/init.sock");
  mkdirSync(dirname(path), { recursive: true });
  const calls: { route: string; body: unknown }[] = [];
  const server = Bun.serve({
    unix: path,
    async fetch(req) {
      const route = `${req.method} ${new URL(req.url).pathname}`;
      calls.push({ route, body: req.method === "POST" ? await req.json().catch(() => null) : null });
      if (route === "GET /os/status")
        return Response.json({
          running: "0.2.0",
          booted: "B",
          installed: true,
          slots: { A: { version: "0.1.0", installed: "x" }, B: { version: "0.2.0", installed: "y" } },
        });
      if (route === "POST /os/upgrade") {
        if (opts.refuse) return Response.json({ error: opts.refuse }, { status: 500 });
        return Response.json({
          log: ["verified 0.3.0: signature and checksums"],
          done: { version: "0.3.0", slot: "A" },
        });
      }
      if (route === "POST /reboot") return Response.json({ ok: true });
      return Response.json({ error: `no route ${route}` }, { status: 404 });
    },
  });
  return { calls, stop: () => server.stop(true) };
}

test("a CorralOS host reports its build, both slots and how the last trial ended", async () => {
  const root = fixture({
    "proc/1/root/etc/os-release": corralRelease,
    // The agent's container has its own os-release: it must not be the one reported.
    "etc/os-release": 'ID=corralos\nPRETTY_NAME="CorralOS system container"\n',
    "proc/cmdline": "console=ttyS0 corral.slot=B quiet\n",
    "proc/sys/kernel/random/boot_id": "3f0c5e2a-0000-4000-8000-000000000001\n",
    "var/lib/corral/os/boot-history.jsonl": [
      '{"at":"2026-12-01T10:00:00Z","event":"upgrade-written","slot":"A","version":"0.3.0"}',
      '{"at":"2026-12-01T10:01:00Z","event":"trial-boot","slot":"A","version":"0.3.0"}',
      "{torn line",
      '{"at":"2026-12-01T10:06:00Z","event":"rolled-back","slot":"B","version":"0.2.0","reason":"slot A (0.3.0) failed: user-docker: starting"}',
      "",
    ].join("\n"),
  });
  const init = fakeInit(root);
  try {
    expect(readHostOsRelease(root).PRETTY_NAME).toBe("CorralOS 0.2.0");
    const facts = await readCorralOs({ root, init: localInitClient(root) });
    expect(corralOsFactsSchema.parse(facts)).toEqual(facts!);
    expect(facts).toEqual({
      version: "0.2.0",
      slot: "B",
      bootId: "3f0c5e2a-0000-4000-8000-000000000001",
      installed: true,
      otherSlot: { slot: "A", version: "0.1.0" },
      trial: null,
      lastBoot: {
        outcome: "rolled-back",
        slot: "B",
        version: "0.2.0",
        at: "2026-12-01T10:06:00Z",
        reason: "slot A (0.3.0) failed: user-docker: starting",
      },
    });
    // PID 1 mounts both slots to answer: asked again only after a boot or a new history line.
    await readCorralOs({ root, init: localInitClient(root) });
    expect(init.calls.filter((c) => c.route === "GET /os/status")).toHaveLength(1);
    writeFileSync(
      join(root, "var/lib/corral/os/trial.json"),
      '{"from":"B","to":"A","version":"0.3.0","status":"pending"}',
    );
    writeFileSync(
      join(root, "var/lib/corral/os/boot-history.jsonl"),
      '{"at":"2026-12-02T10:00:00Z","event":"healthy","slot":"B","version":"0.2.0"}\n',
      { flag: "a" },
    );
    const again = await readCorralOs({ root, init: localInitClient(root) });
    expect(init.calls.filter((c) => c.route === "GET /os/status")).toHaveLength(2);
    expect(again?.trial).toEqual({ to: "A", version: "0.3.0", status: "pending" });
    expect(again?.lastBoot?.outcome).toBe("healthy");
  } finally {
    init.stop();
  }
});

test("without PID 1's socket the slot comes from the kernel command line; other systems report null", async () => {
  const bare = fixture({ "proc/1/root/etc/os-release": corralRelease, "proc/cmdline": "corral.slot=A\n" });
  const facts = await readCorralOs({ root: bare });
  expect(facts).toMatchObject({ version: "0.2.0", slot: "A", otherSlot: { slot: "B", version: null } });
  expect(facts?.lastBoot).toBeNull();
  const debian = fixture({ "etc/os-release": 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' });
  expect(await readCorralOs({ root: debian })).toBeNull();
  expect(readHostOsRelease(debian).PRETTY_NAME).toBe("Debian GNU/Linux 12 (bookworm)");
});

test("host.osupgrade writes the slot through PID 1, answers, and only then asks for the reboot", async () => {
  const root = fixture({});
  const init = fakeInit(root);
  const frames: AgentFrame[] = [];
  const handler = new EventHandler({
    driver: new FakeDriver(),
    send: (f) => {
      // The reboot must not be asked for before the answer left.
      if (f.type === "reply" && f.eventId === "e1")
        expect(init.calls.some((c) => c.route === "POST /reboot")).toBe(false);
      frames.push(f);
    },
    agentId: "1ag1",
    hostId: "1h1",
    logger: createLogger("test"),
    init: () => socketInitClient(join(root, "run/corral/init.sock")),
  });
  try {
    await handler.handle({
      type: "event",
      id: "e1",
      agentId: "1ag1",
      name: "host.osupgrade",
      data: { version: "0.3.0" },
    });
    const reply = frames[0] as Extract<AgentFrame, { type: "reply" }>;
    expect(reply.ok).toBe(true);
    expect(parseEventReply("host.osupgrade", reply.data).data).toMatchObject({ version: "0.3.0", slot: "A" });
    expect(init.calls[0]).toEqual({ route: "POST /os/upgrade", body: { version: "0.3.0", reboot: false } });
    for (let i = 0; i < 100 && !init.calls.some((c) => c.route === "POST /reboot"); i++) await Bun.sleep(20);
    expect(init.calls.map((c) => c.route)).toEqual(["POST /os/upgrade", "POST /reboot"]);

    // Bad input is refused before PID 1 is asked.
    await handler.handle({
      type: "event",
      id: "e2",
      agentId: "1ag1",
      name: "host.osupgrade",
      data: { file: "/etc/shadow" },
    });
    await handler.handle({ type: "event", id: "e3", agentId: "1ag1", name: "host.osupgrade", data: {} });
    const bad = frames.slice(1) as Extract<AgentFrame, { type: "reply" }>[];
    expect(bad.map((f) => f.ok)).toEqual([false, false]);
    expect(bad[0]!.error?.message).toContain("under /var/lib/corral or /home");
    expect(bad[1]!.error?.message).toContain("not both and not neither");
    expect(init.calls).toHaveLength(2);
  } finally {
    init.stop();
  }
  // PID 1's refusal reaches the server in its own words, and nothing reboots.
  const refusing = fakeInit(fixture({}), { refuse: "version 9.9.9 is not in the channel" });
  const root2 = dirs.at(-1)!;
  const frames2: AgentFrame[] = [];
  const h2 = new EventHandler({
    driver: new FakeDriver(),
    send: (f) => frames2.push(f),
    agentId: "1ag1",
    hostId: "1h1",
    logger: createLogger("test"),
    init: () => socketInitClient(join(root2, "run/corral/init.sock")),
  });
  try {
    await h2.handle({
      type: "event",
      id: "e4",
      agentId: "1ag1",
      name: "host.osupgrade",
      data: { version: "9.9.9" },
    });
    const r = frames2[0] as Extract<AgentFrame, { type: "reply" }>;
    expect(r.ok).toBe(false);
    expect(r.error?.message).toContain("version 9.9.9 is not in the channel");
    expect(refusing.calls.map((c) => c.route)).toEqual(["POST /os/upgrade"]);
  } finally {
    refusing.stop();
  }
  // A host without PID 1's socket is not CorralOS.
  const h3 = new EventHandler({
    driver: new FakeDriver(),
    send: (f) => frames2.push(f),
    agentId: "1ag1",
    hostId: "1h1",
    logger: createLogger("test"),
    init: () => undefined,
  });
  await h3.handle({
    type: "event",
    id: "e5",
    agentId: "1ag1",
    name: "host.osupgrade",
    data: { version: "0.3.0" },
  });
  expect((frames2[1] as Extract<AgentFrame, { type: "reply" }>).error?.message).toContain(
    "does not run CorralOS",
  );
});
