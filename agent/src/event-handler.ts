import {
  type AgentFrame,
  type ContainerObservation,
  describeIssue,
  type EventName,
  type EventReplyInput,
  type InstanceSpec,
  type ParsedEventData,
  type PullAuth,
  parseEventData,
  type ServerEvent,
} from "@corral/api";
import { AppError, KeyedQueue, type Logger } from "@corral/lib";
import { toAppError } from "./docker-errors.ts";
import type { ContainerRef, DockerDriver } from "./driver.ts";
import { type InitClient, localInitClient } from "./os-facts.ts";
import { runOsUpgrade } from "./os-upgrade.ts";
import { SecretFolders } from "./secret-files.ts";
import { type StreamInput, StreamRegistry } from "./streams.ts";

/** What the handler needs from the session around it. */
export interface EventHandlerOptions {
  /** The engine to act on. */
  driver: DockerDriver;
  /** Sends one frame to the server (dropped when the socket is down: the server retries or resyncs). */
  send: (frame: AgentFrame) => void;
  /** This agent's id, as the welcome named it; events for any other id are refused. */
  agentId: string;
  /** This host's id, written into container labels. */
  hostId: string;
  /** Where to log. */
  logger: Logger;
  /** Told the Docker id of each container instance.create made or found (the health monitor looks). */
  onContainer?: (dockerId: string) => void;
  /** Where secret files are written (default: a tmpfs at CORRAL_SECRETS_DIR or /run/corral/secrets). */
  secrets?: SecretFolders;
  /** PID 1 of CorralOS, for `host.osupgrade` (default: its socket when there is one). */
  init?: () => InitClient | undefined;
}

/** A handled event's reply data; `after` runs once the reply went out (streams start flowing then). */
interface Outcome<N extends EventName> {
  data: EventReplyInput<N>;
  after?: () => void;
}

/** One handler per event, each typed from the protocol map. */
type Handlers = { [N in EventName]: (data: ParsedEventData<N>, eventId: string) => Promise<Outcome<N>> };

/**
 * Turns server events into Docker work and answers each with exactly one reply. Work on one
 * container is serialised (a retried create must see the first one's container, a stop must not
 * overtake the start it follows); work on different containers runs concurrently.
 */
export class EventHandler {
  private readonly streams: StreamRegistry;
  private readonly queue = new KeyedQueue();
  private readonly secrets: SecretFolders;

  constructor(private readonly options: EventHandlerOptions) {
    this.streams = new StreamRegistry(options.send);
    this.secrets = options.secrets ?? new SecretFolders();
  }

  /** Handles one validated event; resolves after its reply was sent. Never throws. */
  async handle(event: ServerEvent): Promise<void> {
    const { send, logger } = this.options;
    if (event.agentId !== this.options.agentId) {
      logger.warn("refused event for another agent", { eventId: event.id, agentId: event.agentId });
      send(this.failure(event.id, new AppError("PermissionDenied", "event is addressed to another agent")));
      return;
    }
    const key = typeof event.data.containerId === "string" ? event.data.containerId : undefined;
    const spec = event.data.spec as { containerId?: unknown } | undefined;
    const lockKey = key ?? (typeof spec?.containerId === "string" ? spec.containerId : undefined);
    const work = () => this.dispatch(event.name, event.id, event.data);
    let reply: AgentFrame;
    try {
      const data = await (lockKey ? this.queue.run(lockKey, work) : work());
      reply = { type: "reply", eventId: event.id, ok: true, data: data.data };
      send(reply);
      data.after?.();
    } catch (e) {
      const error = toAppError(e);
      logger.debug("event failed", {
        eventId: event.id,
        name: event.name,
        code: error.code,
        error: error.message,
      });
      send(this.failure(event.id, error));
    }
  }

  /** Passes server input to an open stream: stdin, a terminal size, or the end of input. */
  streamInput(streamId: string, input: StreamInput): void {
    this.streams.input(streamId, input);
  }

  /** Ends every open stream: the session they belonged to is gone. */
  closeStreams(): void {
    this.streams.closeAll();
  }

  private failure(eventId: string, error: AppError): AgentFrame {
    return {
      type: "reply",
      eventId,
      ok: false,
      error: { code: error.code, message: error.message.slice(0, 8192) },
    };
  }

  private readonly handlers: Handlers = {
    "instance.create": async (data, eventId) => ({ data: await this.create(eventId, data) }),
    "instance.start": async (ref) => ({ data: await this.act("start", ref) }),
    "instance.stop": async (ref) => ({ data: await this.act("stop", ref) }),
    "instance.restart": async (ref) => ({ data: await this.act("restart", ref) }),
    "instance.inspect": async (ref) => ({ data: await this.require(ref) }),
    "instance.remove": async (ref) => {
      const found = await this.options.driver.find(ref);
      if (found) await this.options.driver.remove(found.dockerId);
      await this.secrets.remove(ref.containerId);
      return { data: { removed: true } };
    },
    "instance.stats": async (ref) => {
      const found = await this.require(ref);
      return { data: await this.options.driver.stats(found.dockerId) };
    },
    "instance.logs": (data) => this.logs(data),
    "instance.exec": (data) => this.exec(data),
    "host.resync": async () => ({ data: { containers: await this.options.driver.list() } }),
    "host.osupgrade": (req) =>
      runOsUpgrade((this.options.init ?? localInitClient)(), req, this.options.logger),
    "volume.create": async (v) => {
      await this.options.driver.createVolume(v.name, v.driver, v.driverOpts);
      return { data: { name: v.name, present: true } };
    },
    "volume.remove": async (v) => {
      await this.options.driver.removeVolume(v.name);
      return { data: { name: v.name, present: false } };
    },
  };

  /** Validates an event's data against its name's schema, then runs its handler. */
  private async dispatch<N extends EventName>(name: N, eventId: string, data: unknown): Promise<Outcome<N>> {
    const parsed = parseEventData(name, data);
    if (!parsed.success) {
      throw new AppError("InvalidFormat", `invalid event data: ${describeIssue(parsed.error)}`);
    }
    return this.handlers[name](parsed.data, eventId);
  }

  /** Starts, stops or restarts a container and answers with what Docker then reports. */
  private async act(
    verb: "start" | "stop" | "restart",
    ref: ParsedEventData<"instance.start">,
  ): Promise<ContainerObservation> {
    const { driver } = this.options;
    const found = await this.require(ref);
    if (verb === "start") await driver.start(found.dockerId);
    if (verb === "stop") await driver.stop(found.dockerId, ref.timeoutSec);
    if (verb === "restart") await driver.restart(found.dockerId, ref.timeoutSec);
    return driver.inspect(found.dockerId);
  }

  private async require(ref: ContainerRef): Promise<ContainerObservation> {
    const found = await this.options.driver.find(ref);
    if (!found) throw new AppError("NotFound", `container ${ref.containerId} not found on this host`);
    return found;
  }

  private async create(
    eventId: string,
    data: ParsedEventData<"instance.create">,
  ): Promise<ContainerObservation> {
    const { driver, send, hostId } = this.options;
    let { spec } = data;
    if (data.secrets?.length) {
      // Written before the container exists and again on a retry: a found container binds the same folder.
      const dir = await this.secrets.write(spec.containerId, data.secrets);
      spec = { ...spec, volumes: [...spec.volumes, `${dir}:/run/secrets:ro`] };
    }
    // A create retried after an agent restart finds the first attempt's container by its label.
    let observed = await driver.find({ containerId: spec.containerId });
    if (!observed) {
      await this.ensureImage(eventId, spec, data.pullAuth);
      send({ type: "progress", eventId, message: `creating container ${spec.name}` });
      observed = await driver.create(spec, hostId);
    }
    if (data.start && observed.state !== "running") {
      // The network controller recreates the managed network when the server gives the host a new
      // slice and no container uses it; a container created in between still names the old network
      // and cannot start. Made again, it joins the new one (the create waits for it). While the
      // host settles this can happen more than once: a few tries, each a little later.
      for (let attempt = 1; ; attempt++) {
        try {
          await driver.start(observed.dockerId);
          break;
        } catch (e) {
          const lost =
            spec.networkMode === "managed" && /network .* not found/i.test(String((e as Error)?.message));
          if (!lost || attempt >= 5) throw e;
          this.options.logger.info("managed network changed under a new container; creating it again", {
            containerId: spec.containerId,
            attempt,
          });
          await driver.remove(observed.dockerId);
          await Bun.sleep(250 * attempt);
          observed = await driver.create(spec, hostId);
        }
      }
      observed = await driver.inspect(observed.dockerId);
    }
    this.options.onContainer?.(observed.dockerId);
    return observed;
  }

  private async ensureImage(eventId: string, spec: InstanceSpec, auth?: PullAuth): Promise<void> {
    const { driver, send } = this.options;
    const policy = spec.pullPolicy;
    if (policy !== "always" && (await driver.hasImage(spec.image))) return;
    if (policy === "never") {
      throw new AppError("InvalidReference", `image ${spec.image} is not present and pullPolicy is never`);
    }
    send({ type: "progress", eventId, message: `pulling image ${spec.image}` });
    await driver.pullImage(spec.image, (message) => send({ type: "progress", eventId, message }), auth);
  }

  private async logs(data: ParsedEventData<"instance.logs">): Promise<Outcome<"instance.logs">> {
    const { driver, logger } = this.options;
    const found = await this.require(data);
    if (this.streams.has(data.streamId))
      throw new AppError("NotUnique", `stream ${data.streamId} is already open`);
    const abort = new AbortController();
    const stream = this.streams.create(data.streamId, { write: () => {}, close: () => abort.abort() });
    const options = {
      follow: data.follow,
      lines: data.lines,
      timestamps: data.timestamps,
      ...(data.since !== undefined ? { since: data.since } : {}),
    };
    const after = () => {
      stream.ready();
      driver.logs(found.dockerId, options, stream.output, abort.signal).then(
        () => stream.end(),
        (e) => {
          logger.debug("log stream failed", { streamId: data.streamId, error: e });
          stream.end(undefined, toAppError(e).message);
        },
      );
    };
    return { data: { streamId: data.streamId }, after };
  }

  private async exec(data: ParsedEventData<"instance.exec">): Promise<Outcome<"instance.exec">> {
    const { driver, logger } = this.options;
    const found = await this.require(data);
    if (this.streams.has(data.streamId))
      throw new AppError("NotUnique", `stream ${data.streamId} is already open`);
    let handle: Awaited<ReturnType<DockerDriver["exec"]>> | undefined;
    let closeEarly = false;
    const stream = this.streams.create(data.streamId, {
      write: (bytes) => handle?.write(bytes),
      resize: (size) => handle?.resize(size),
      close: () => {
        if (handle) handle.close();
        else closeEarly = true;
      },
    });
    try {
      handle = await driver.exec(found.dockerId, data, stream.output);
    } catch (e) {
      stream.cancel();
      throw e;
    }
    if (closeEarly) handle.close();
    handle.done
      .then((exitCode) => stream.end(exitCode))
      .catch((e) => {
        logger.debug("exec stream failed", { streamId: data.streamId, error: e });
        stream.end(undefined, toAppError(e).message);
      });
    return { data: { streamId: data.streamId }, after: stream.ready };
  }
}
