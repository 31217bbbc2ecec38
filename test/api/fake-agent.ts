/**
 * A fake host agent for protocol tests: registers with a token, connects its websocket with the agent
 * key, says hello, pings on demand, records every event the server sends and (optionally) answers them.
 */
import {
  type HostFacts,
  type HostState,
  HostStateAssembler,
  type IpsecReport,
  serverFrameSchema,
} from "@corral/api";
import { basic, hostFacts, until } from "./harness.ts";

/** The answer to `POST /v2-beta/register`. */
export interface AgentRegistration {
  hostId: string;
  agentId: string;
  projectId: string;
  accessKey: string;
  secretKey: string;
}

/** An event frame as the server sends it. */
export interface ServerEventFrame {
  type: "event";
  id: string;
  agentId: string;
  name: string;
  data: Record<string, unknown>;
}

/** How a fake agent answers events: `false` records them only; a function chooses the reply data. */
export type AutoReply = false | ((event: ServerEventFrame) => Record<string, unknown>);

/**
 * Registers a host with a registration token and returns the agent's credentials. A host that is
 * registered already joins again with its own agent key (`rejoin`), as the real agent does.
 */
export async function registerAgent(
  base: string,
  token: string,
  options: { uuid?: string; hostname?: string; rejoin?: AgentRegistration } = {},
): Promise<AgentRegistration> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (options.rejoin) headers.Authorization = basic(options.rejoin.accessKey, options.rejoin.secretKey);
  const res = await fetch(`${base}/v2-beta/register`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      token,
      hostname: options.hostname ?? "fake-host",
      uuid: options.uuid ?? crypto.randomUUID(),
    }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
  return body as AgentRegistration;
}

/** A container as the fake agent reports it in pings. */
export interface Observed {
  containerId: string;
  dockerId: string;
  name: string;
  state: "running" | "exited";
}

/**
 * Acts as a Docker host would: creates, starts, stops and removes containers in a map, replies with
 * what it did, and reports them in every ping (so the server does not think they vanished); answers
 * `instance.stats` with {@link fakeStats}.
 */
export function dockerLike(containers: Map<string, Observed>): AutoReply {
  /** How many stats samples each container has answered (each sample differs from the last). */
  const sampled = new Map<string, number>();
  return (event) => {
    const data = event.data as { spec?: { containerId: string; name: string }; containerId?: string };
    const id = data.spec?.containerId ?? data.containerId ?? "";
    if (event.name === "host.resync") return { containers: [...containers.values()] };
    if (event.name === "volume.create" || event.name === "volume.remove")
      return { name: (event.data as { name: string }).name, present: event.name === "volume.create" };
    if (event.name === "instance.stats") {
      const n = sampled.get(id) ?? 0;
      sampled.set(id, n + 1);
      return fakeStats(n);
    }
    if (event.name === "instance.create") {
      containers.set(id, { containerId: id, dockerId: `d${id}`, name: data.spec!.name, state: "running" });
    } else if (event.name === "instance.remove") {
      containers.delete(id);
      return { removed: true };
    } else if (containers.has(id)) {
      containers.get(id)!.state = event.name === "instance.stop" ? "exited" : "running";
    }
    return { ...(containers.get(id) ?? {}), ipAddress: "10.42.0.2" };
  };
}

/**
 * The `n`th stats sample of a container as an agent answers `instance.stats`: CPU between 5 and 45 %
 * and memory between 20 and 28 MiB of 512 MiB, moving from one sample to the next (so a graph has a
 * line, not a point), counters that only grow.
 */
export function fakeStats(n: number) {
  const mib = 1024 * 1024;
  return {
    cpuPercent: 25 + 20 * Math.sin(n / 2),
    memoryUsage: Math.round((24 + 4 * Math.cos(n / 3)) * mib),
    memoryLimit: 512 * mib,
    networkRxBytes: 1000 * n,
    networkTxBytes: 600 * n,
    blockReadBytes: 4096 * n,
    blockWriteBytes: 2048 * n,
    pids: 3,
  };
}

/** One fake agent connection. */
export class FakeAgent {
  readonly events: ServerEventFrame[] = [];
  readonly frames: unknown[] = [];
  /** The network views rebuilt from the server's hostState frames, oldest first. */
  readonly views: HostState[] = [];
  private assembler = new HostStateAssembler();
  ws: WebSocket | null = null;
  closeInfo: { code: number; reason: string } | null = null;
  /** The containers this agent "runs", reported in every ping. */
  readonly containers = new Map<string, Observed>();
  autoReply: AutoReply = dockerLike(this.containers);
  /** The IPsec mesh this agent reports in every ping, when set (a real agent always reports one). */
  ipsec: IpsecReport | null = null;
  /**
   * Drops `hostState` frames unread. A fake agent runs in the server's process: parsing the server's
   * network views there would bill the agent's work to the server's event loop (load tests).
   */
  skipHostState = false;
  /** Why each network view frame this agent could not take was refused (it asked for a resync). */
  readonly rejectedFrames: string[] = [];
  private pinger: ReturnType<typeof setInterval> | null = null;
  private seq = 0;

  constructor(
    readonly base: string,
    readonly registration: AgentRegistration,
  ) {}

  /** Registers, connects, says hello and starts pinging. */
  static async join(base: string, token: string, options: { uuid?: string; ping?: boolean } = {}) {
    const agent = new FakeAgent(base, await registerAgent(base, token, options));
    await agent.connect();
    agent.hello();
    if (options.ping !== false) agent.startPinging();
    return agent;
  }

  get hostId(): string {
    return this.registration.hostId;
  }

  /** Opens the websocket and waits for the server's welcome. */
  async connect(): Promise<void> {
    const { accessKey, secretKey } = this.registration;
    const url = `${this.base.replace(/^http/, "ws")}/v2-beta/agent/connect`;
    const ws = new WebSocket(url, { headers: { Authorization: basic(accessKey, secretKey) } });
    this.ws = ws;
    this.closeInfo = null;
    this.frames.length = 0;
    this.assembler = new HostStateAssembler();
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = (e) => {
      this.closeInfo = { code: e.code, reason: e.reason };
      this.stopPinging();
    };
    await until("welcome", () => this.closeInfo || this.frames.some((f) => kind(f) === "welcome"));
    if (this.closeInfo) throw new Error(`agent socket closed: ${JSON.stringify(this.closeInfo)}`);
  }

  /** Sends the hello frame. */
  hello(): void {
    this.send({
      type: "hello",
      agentVersion: "test",
      facts: hostFacts(),
      containers: [...this.containers.values()],
    });
  }

  /** Sends one ping; with `facts`, the host facts a real agent sends in its pings too. */
  ping(facts?: HostFacts): void {
    this.send({
      type: "ping",
      seq: this.seq++,
      ...(facts && { facts }),
      ...(this.ipsec && { ipsec: this.ipsec }),
      containers: [...this.containers.values()],
    });
  }

  /** Pings every `everyMs` until stopped or closed. */
  startPinging(everyMs = 100): void {
    this.stopPinging();
    this.pinger = setInterval(() => this.ping(), everyMs);
  }

  /** Stops the pings (the socket stays open). */
  stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  /** Sends a frame as JSON. */
  send(frame: unknown): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /** Sends exact bytes or text. */
  sendRaw(data: string | Uint8Array): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Answers an event. */
  reply(eventId: string, data: Record<string, unknown> = {}, ok = true): void {
    this.send({ type: "reply", eventId, ok, data });
  }

  /** Waits for an event (optionally with a given name) that arrived and was not taken before. */
  async nextEvent(name?: string, timeoutMs = 5000): Promise<ServerEventFrame> {
    const index = await until(
      `event ${name ?? "(any)"}`,
      () => {
        const i = this.events.findIndex((e) => name === undefined || e.name === name);
        return i >= 0 ? i + 1 : 0;
      },
      timeoutMs,
    );
    return this.events.splice(index - 1, 1)[0]!;
  }

  /** Waits until the server closed this connection, and returns the close code and reason. */
  closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return until("the agent socket to close", () => this.closeInfo, timeoutMs);
  }

  /** Closes the connection from the agent's side. */
  async close(): Promise<void> {
    this.stopPinging();
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.close(1000, "bye");
      await this.closed();
    }
  }

  private receive(data: unknown): void {
    if (this.skipHostState && typeof data === "string" && data.startsWith('{"type":"hostState"')) return;
    const frame = JSON.parse(String(data));
    this.frames.push(frame);
    if (kind(frame)?.startsWith("hostState")) {
      const parsed = serverFrameSchema.parse(frame);
      if (
        parsed.type === "hostState" ||
        parsed.type === "hostState.part" ||
        parsed.type === "hostState.delta"
      ) {
        const result = this.assembler.accept(parsed);
        if (result.kind === "view") this.views.push(result.state);
        else if (result.kind === "rejected") {
          // As the real agent does: note it and ask for a whole view again (a send the server
          // dropped under backpressure leaves a gap a later delta cannot fill).
          this.rejectedFrames.push(result.detail);
          this.ws?.send(JSON.stringify({ type: "hostState.resync", seq: null }));
        }
      }
    }
    if (kind(frame) !== "event") return;
    const event = frame as ServerEventFrame;
    if (this.autoReply) this.reply(event.id, this.autoReply(event));
    else this.events.push(event);
  }
}

function kind(frame: unknown): string | undefined {
  return (frame as { type?: string } | null)?.type;
}
