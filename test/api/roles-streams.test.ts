// The websocket features under the role matrix: the event stream (a non-member cannot subscribe to
// an environment, and each role hears only what it may read: no registration tokens or environment
// keys for restricted and read-only members), membership changes followed at once, and container
// logs and exec streams opened only for roles that may (read-only: logs, no exec).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseId } from "@corral/api";
import type { ServerEventFrame } from "./fake-agent.ts";
import { expectStatus, until } from "./harness.ts";
import { buildWorld, everyone, membersBody, type Who, type World } from "./roles-kit.ts";

let w: World;

interface Subscription {
  messages: { name: string; resourceType?: string; resourceId?: string }[];
  closed: { code: number } | null;
  close(): void;
}

/** Subscribes with `who`'s credentials; resolves once open (rejects when refused). */
async function subscribe(who: Who, path: string): Promise<Subscription> {
  const ws = new WebSocket(`${w.server.url.replace(/^http/, "ws")}${path}`, {
    headers: { Authorization: w.clients[who].auth! },
  });
  const sub: Subscription = { messages: [], closed: null, close: () => ws.close() };
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data));
    if (msg.name !== "ping") sub.messages.push(msg);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = (e) => {
      sub.closed = { code: e.code };
      reject(new Error(`refused: ${e.code}`));
    };
  });
  return sub;
}

beforeAll(async () => {
  w = await buildWorld();
  // The fake host answers logs and exec by opening the stream and sending one line.
  const agent = w.agents[0]!;
  const docker = agent.autoReply as (e: ServerEventFrame) => Record<string, unknown>;
  agent.autoReply = (event) => {
    if (event.name !== "instance.logs" && event.name !== "instance.exec") return docker(event);
    const streamId = (event.data as { streamId: string }).streamId;
    queueMicrotask(() =>
      agent.send({
        type: "stream",
        streamId,
        data: Buffer.from("out\n").toString("base64"),
        end: true,
        exitCode: 0,
      }),
    );
    return { streamId };
  };
}, 120_000);

afterAll(async () => {
  for (const a of w?.agents ?? []) await a.close();
  await w?.server.stop();
});

describe("the event stream", () => {
  test("inside an environment: members and its key subscribe, a non-member gets 404", async () => {
    const path = `/v2-beta/projects/${w.project.id}/subscribe`;
    for (const who of everyone) {
      // Without an upgrade the endpoint answers after its checks: 404 for those who may not see it.
      const plain = await w.clients[who].get(path);
      expect([who, plain.status]).toEqual([who, who === "outsider" ? 404 : 400]);
    }
    await expect(subscribe("outsider", path)).rejects.toThrow();
  });

  test("each role hears only what it may read", async () => {
    const subs = new Map<Who, Subscription>();
    for (const who of everyone)
      subs.set(
        who,
        await subscribe(
          who,
          who === "outsider" ? "/v2-beta/subscribe" : `/v2-beta/projects/${w.project.id}/subscribe`,
        ),
      );
    const p = `/v2-beta/projects/${w.project.id}`;
    const token = expectStatus(await w.admin.post(`${p}/registrationtokens`, {}), 201).body.id;
    const key = expectStatus(await w.admin.post(`${p}/apikeys`, {}), 201).body.id;
    const volume = expectStatus(await w.admin.post(`${p}/volumes`, { name: "marker-vol" }), 201).body.id;
    // The outsider's marker: an environment of their own, made after the changes above.
    const own = expectStatus(await w.clients.outsider.post("/v2-beta/projects", { name: "outsiders" }), 201)
      .body.id;
    const heard = (who: Who, id: string) => subs.get(who)!.messages.some((m) => m.resourceId === id);
    for (const who of everyone)
      await until(`${who} hears its marker`, () => heard(who, who === "outsider" ? own : volume), 10_000);
    const seen = Object.fromEntries(
      everyone.map((who) => [who, [heard(who, token), heard(who, key), heard(who, volume)]]),
    );
    expect(seen).toEqual({
      admin: [true, true, true],
      envKey: [true, true, true],
      owner: [true, true, true],
      member: [true, false, true],
      restricted: [false, false, true],
      readonly: [false, false, true],
      outsider: [false, false, false],
    });
    for (const sub of subs.values()) sub.close();
  });

  test("follows membership changes at once: a promoted member hears tokens, a removed one is cut off", async () => {
    const readonly = await subscribe("readonly", `/v2-beta/projects/${w.project.id}/subscribe`);
    const restricted = await subscribe("restricted", `/v2-beta/projects/${w.project.id}/subscribe`);
    const body = membersBody(w);
    const changed = {
      members: body.members
        .filter((m) => m.role !== "restricted")
        .map((m) => (m.role === "readonly" ? { ...m, role: "member" } : m)),
    };
    expectStatus(await w.admin.post(`/v2-beta/projects/${w.project.id}?action=setmembers`, changed), 200);
    await until("the removed member's stream closes", () => restricted.closed, 10_000);
    expect(restricted.closed!.code).toBe(4001);
    const token = expectStatus(
      await w.admin.post(`/v2-beta/projects/${w.project.id}/registrationtokens`, {}),
      201,
    ).body.id;
    await until(
      "the promoted member hears the token",
      () => readonly.messages.some((m) => m.resourceId === token),
      10_000,
    );
    readonly.close();
    expectStatus(await w.admin.post(`/v2-beta/projects/${w.project.id}?action=setmembers`, body), 200);
  });
});

describe("identities on the account", () => {
  test("a person's new group gives their open stream the group's role at once", async () => {
    const p = `/v2-beta/projects/${w.project.id}`;
    const body = membersBody(w);
    const withTeam = {
      members: [...body.members, { externalId: "ops", externalIdType: "github_team", role: "owner" }],
    };
    expectStatus(await w.admin.post(`${p}?action=setmembers`, withTeam), 200);
    const sub = await subscribe("readonly", `${p}/subscribe`);
    w.server.store.update(parseId("account", w.accounts.readonly)!, {
      data: { identities: [{ externalId: "ops", externalIdType: "github_team", name: "ops" }] },
    });
    const key = expectStatus(await w.admin.post(`${p}/apikeys`, {}), 201).body.id;
    await until(
      "the stream hears the environment key",
      () => sub.messages.some((m) => m.resourceId === key),
      10_000,
    );
    sub.close();
    w.server.store.update(parseId("account", w.accounts.readonly)!, { data: { identities: [] } });
    expectStatus(await w.admin.post(`${p}?action=setmembers`, body), 200);
  });
});

describe("logs and exec streams", () => {
  /** Opens the stream a logs or execute action granted and returns what it carried. */
  async function read(url: string): Promise<string> {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    let text = "";
    ws.onmessage = (m) => {
      text += typeof m.data === "string" ? m.data : new TextDecoder().decode(m.data as ArrayBuffer);
    };
    await new Promise<void>((resolve) => {
      ws.onclose = () => resolve();
    });
    return text;
  }

  test("open for the roles that may, with the same statuses as the actions", async () => {
    const path = (action: string) =>
      `/v2-beta/projects/${w.project.id}/containers/${w.shared.container}?action=${action}`;
    const results: Record<string, [number, string][]> = {};
    for (const who of everyone) {
      results[who] = [];
      for (const [action, body] of [
        ["logs", {}],
        ["execute", { command: ["sh"] }],
      ] as const) {
        const r = await w.clients[who].post(path(action), body);
        results[who].push([r.status, r.status === 200 ? await read(r.body.url) : r.body.code]);
      }
    }
    const both = (x: [number, string]) => [x, x];
    expect(results).toEqual({
      admin: both([200, "out\n"]),
      envKey: both([200, "out\n"]),
      owner: both([200, "out\n"]),
      member: both([200, "out\n"]),
      restricted: both([200, "out\n"]),
      readonly: [
        [200, "out\n"],
        [403, "PermissionDenied"],
      ],
      outsider: both([404, "NotFound"]),
    });
  });
});
