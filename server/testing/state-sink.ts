import { type HostState, HostStateAssembler, type ServerFrame, serverFrameSchema } from "@corral/api";
import type { StateFrameText } from "../src/network/frame-text.ts";
import type { StateSink } from "../src/network/publisher.ts";

/** One frame a {@link RecordingSink} took: its text size and the frame as the agent parses it. */
export interface SentStateFrame {
  hostId: string;
  bytes: number;
  frame: Extract<ServerFrame, { type: `hostState${string}` }>;
}

/**
 * Stands in for the hub under a publisher: every host in `connected` has a session, each frame
 * sent is serialised, measured, parsed with the protocol schema and applied to that host's own
 * assembler, so a test sees both the bytes and the view an agent would rebuild.
 */
export class RecordingSink implements StateSink {
  readonly frames: SentStateFrame[] = [];
  readonly views = new Map<string, HostState>();
  private readonly sessions = new Map<string, object>();
  private readonly assemblers = new Map<string, HostStateAssembler>();

  constructor(hostIds: string[]) {
    for (const id of hostIds) this.connect(id);
  }

  /** A new session for a host (a reconnect): its assembler starts empty. */
  connect(hostId: string): void {
    this.sessions.set(hostId, {});
    this.assemblers.set(hostId, new HostStateAssembler());
  }

  sessionOf(hostId: string): object | undefined {
    return this.sessions.get(hostId);
  }

  sendState(hostId: string, { text }: StateFrameText): boolean {
    if (!this.sessions.has(hostId)) return false;
    const parsed = serverFrameSchema.parse(JSON.parse(text)) as SentStateFrame["frame"];
    this.frames.push({ hostId, bytes: Buffer.byteLength(text), frame: parsed });
    const result = this.assemblers.get(hostId)!.accept(parsed);
    if (result.kind === "rejected") throw new Error(`${hostId} refused ${parsed.type}: ${result.detail}`);
    if (result.kind === "view") this.views.set(hostId, result.state);
    return true;
  }

  /** Frames sent to one host, oldest first. */
  to(hostId: string): SentStateFrame[] {
    return this.frames.filter((f) => f.hostId === hostId);
  }
}
