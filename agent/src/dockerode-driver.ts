import { type ContainerObservation, type InstanceSpec, labelKeys } from "@corral/api";
import { AppError } from "@corral/lib";
import Docker from "dockerode";
import { dockerMessage, dockerStatus, toAppError } from "./docker-errors.ts";
import {
  checkTargetOf,
  networkAddress,
  observeInspect,
  observeListed,
  statsFromSample,
} from "./docker-observe.ts";
import { normalizeImage, toCreateOptions } from "./docker-spec.ts";
import { startExec, streamLogs } from "./docker-streams.ts";
import type { CheckTarget, DockerDriver, EngineEvent } from "./driver.ts";
import { tarArchive } from "./lb/tar.ts";
import { privilegedEquivalent, privilegedTrial, processCapabilities } from "./privileged.ts";

/** Calls Docker and turns its failures into AppErrors. */
async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    throw toAppError(e);
  }
}

/** How long a managed container's create waits for the host's managed network to appear. */
export const managedNetworkWaitMs = 60_000;

/**
 * Creates a container; when Docker answers that the managed network does not exist yet, waits for
 * it and tries once more. The network controller creates that network from the first host state
 * the server sends, and on a busy host an `instance.create` sent right after the agent connects can
 * arrive before that pass is done: failing it would throw the unit away for nothing.
 */
async function createOnManagedNetwork(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
  spec: InstanceSpec,
  waitMs = managedNetworkWaitMs,
): Promise<Docker.Container> {
  const network = spec.networkMode === "managed" ? spec.managedNetwork?.bridgeName : undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await docker.createContainer(options);
    } catch (e) {
      const missing =
        network !== undefined && dockerStatus(e) === 404 && /network .* not found/i.test(dockerMessage(e));
      // The network may also be recreated again while the host settles: keep waiting until the deadline.
      if (!missing || Date.now() > deadline) throw toAppError(e);
      await Bun.sleep(250);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The DockerDriver backed by dockerode on a Docker socket (default /var/run/docker.sock).
 */
export function createDockerDriver(
  socketPath = "/var/run/docker.sock",
  installId: () => string | undefined = () => undefined,
): DockerDriver {
  // Every lookup is limited to this installation's containers (see labelKeys.installId).
  const scoped = (...labels: string[]) => {
    const id = installId();
    return id ? [...labels, `${labelKeys.installId}=${id}`] : labels;
  };
  const docker = new Docker({ socketPath });
  // Inspect results keyed by id|state|status: pings list every few seconds, and Docker's status text
  // ("Up 3 seconds") changes on every restart, so an unchanged key means an unchanged observation.
  let cache = new Map<string, ContainerObservation | null>();

  const inspect = async (dockerId: string) => {
    const observation = observeInspect(await call(docker.getContainer(dockerId).inspect()));
    if (!observation) throw new AppError("NotFound", `container ${dockerId} is not managed by Corral`);
    return observation;
  };

  const byLabel = async (containerId: string) => {
    const listed = await call(
      docker.listContainers({
        all: true,
        filters: { label: scoped(`${labelKeys.containerId}=${containerId}`) },
      }),
    );
    return listed[0]?.Id;
  };

  const checkTarget = async (dockerId: string): Promise<CheckTarget | null> => {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await call(docker.getContainer(dockerId).inspect());
    } catch (e) {
      if (e instanceof AppError && e.code === "NotFound") return null;
      throw e;
    }
    const mode = info.HostConfig?.NetworkMode ?? "";
    // A container in another's network namespace has no address of its own: probe the owner's.
    const peer = mode.startsWith("container:")
      ? await docker
          .getContainer(mode.slice("container:".length))
          .inspect()
          .then(networkAddress, () => undefined)
      : undefined;
    return checkTargetOf(info, peer);
  };

  const privilegedWorks = privilegedTrial(docker);

  const ignoring = (codes: number[]) => (e: unknown) => {
    // 304 means "already in that state" and 404 on remove means "already gone": both are the goal reached.
    if (codes.includes(dockerStatus(e) ?? 0)) return;
    throw toAppError(e);
  };

  return {
    async version() {
      return (await call(docker.version())).Version;
    },

    async list() {
      const listed = await call(
        docker.listContainers({ all: true, filters: { label: scoped(labelKeys.containerId) } }),
      );
      const fresh = new Map<string, ContainerObservation | null>();
      const observations = await mapLimit(listed, 8, async (info) => {
        const key = `${info.Id}|${info.State}|${info.Status}`;
        if (cache.has(key)) {
          fresh.set(key, cache.get(key)!);
          return cache.get(key)!;
        }
        const observation = await inspect(info.Id).catch(() => observeListed(info));
        fresh.set(key, observation);
        return observation;
      });
      cache = fresh;
      return observations.filter((o): o is ContainerObservation => o !== null);
    },

    async find(ref) {
      if (ref.dockerId) {
        try {
          const found = await inspect(ref.dockerId);
          if (found.containerId === ref.containerId) return found;
        } catch (e) {
          if (!(e instanceof AppError && e.code === "NotFound")) throw e;
        }
      }
      // The Docker id may be stale (container recreated by hand, agent restarted): the label is the truth.
      const id = await byLabel(ref.containerId);
      if (!id) return null;
      return inspect(id).catch((e) => {
        if (e instanceof AppError && e.code === "NotFound") return null;
        throw e;
      });
    },

    async hasImage(image) {
      try {
        await docker.getImage(normalizeImage(image)).inspect();
        return true;
      } catch (e) {
        if (dockerStatus(e) === 404) return false;
        throw toAppError(e);
      }
    },

    async pullImage(image, onProgress, auth) {
      const ref = normalizeImage(image);
      const stream = await docker.pull(ref, auth ? { authconfig: auth } : {}).catch((e) => {
        throw new AppError(
          dockerStatus(e) === 404 ? "InvalidReference" : "ServerError",
          `pull ${ref}: ${dockerMessage(e)}`,
        );
      });
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (err) =>
            err ? reject(new AppError("InvalidReference", `pull ${ref}: ${dockerMessage(err)}`)) : resolve(),
          (event: { status?: string; id?: string; progress?: string; error?: string }) => {
            const text = [event.id, event.status ?? event.error, event.progress].filter(Boolean).join(" ");
            if (text) onProgress(text.slice(0, 4096));
          },
        );
      });
    },

    async create(spec, hostId) {
      let options = toCreateOptions(spec, hostId);
      if (spec.privileged && !(await privilegedWorks(options.Image ?? spec.image))) {
        // This engine cannot grant privileged (see privileged.ts): create the nearest equivalent.
        const { missing } = processCapabilities();
        options = { ...options, HostConfig: privilegedEquivalent(options.HostConfig ?? {}, missing) };
      }
      const container = await createOnManagedNetwork(docker, options, spec);
      return inspect(container.id);
    },

    async start(dockerId) {
      await docker
        .getContainer(dockerId)
        .start()
        .catch(ignoring([304]));
    },

    async stop(dockerId, timeoutSec) {
      const options = timeoutSec === undefined ? {} : { t: timeoutSec };
      await docker
        .getContainer(dockerId)
        .stop(options)
        .catch(ignoring([304]));
    },

    async restart(dockerId, timeoutSec) {
      const options = timeoutSec === undefined ? {} : { t: timeoutSec };
      await call(docker.getContainer(dockerId).restart(options));
    },

    async remove(dockerId) {
      await docker
        .getContainer(dockerId)
        .remove({ force: true, v: true })
        .catch(ignoring([404]));
    },

    inspect,

    async createVolume(name, driver, driverOpts) {
      await call(docker.createVolume({ Name: name, Driver: driver, DriverOpts: driverOpts }));
    },

    async removeVolume(name) {
      await docker
        .getVolume(name)
        .remove()
        .catch(ignoring([404]));
    },

    async stats(dockerId) {
      const sample = await call(docker.getContainer(dockerId).stats({ stream: false }));
      return statsFromSample(sample);
    },

    logs(dockerId, options, onData, signal) {
      return streamLogs(docker.getContainer(dockerId), options, onData, signal);
    },

    async writeFiles(dockerId, dir, files) {
      await call(docker.getContainer(dockerId).putArchive(Buffer.from(tarArchive(files)), { path: dir }));
    },

    exec(dockerId, options, onData) {
      return startExec(docker.getContainer(dockerId), options, onData);
    },

    async checkTargets() {
      const listed = await call(
        docker.listContainers({
          all: true,
          filters: { label: scoped(labelKeys.containerId, labelKeys.healthCheck) },
        }),
      );
      const targets = await mapLimit(listed, 8, (info) => checkTarget(info.Id));
      return targets.filter((t): t is CheckTarget => t !== null);
    },

    checkTarget,

    async events(onEvent, signal) {
      const stream = (await call(
        docker.getEvents({
          filters: { type: ["container"], label: scoped(labelKeys.containerId) },
          abortSignal: signal,
        }),
      )) as NodeJS.ReadableStream & { destroy?: () => void };
      const abort = () => stream.destroy?.();
      signal.addEventListener("abort", abort, { once: true });
      const decoder = new TextDecoder();
      let rest = "";
      stream.on("data", (chunk: Uint8Array) => {
        // Docker writes one JSON object per line, but a read may end mid-line.
        rest += decoder.decode(chunk, { stream: true });
        const lines = rest.split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          const event = parseEngineEvent(line, installId());
          if (event) onEvent(event);
        }
      });
      await new Promise<void>((resolve) => {
        stream.once("end", resolve);
        stream.once("close", resolve);
        stream.once("error", resolve);
      });
      signal.removeEventListener("abort", abort);
    },
  };
}

/** Parses one line of Docker's event stream into an EngineEvent, or null when it is not one of ours. */
export function parseEngineEvent(line: string, installId?: string): EngineEvent | null {
  if (!line.trim()) return null;
  try {
    const raw = JSON.parse(line) as {
      Type?: string;
      Action?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    const containerId = raw.Actor?.Attributes?.[labelKeys.containerId];
    if (raw.Type !== "container" || !raw.Action || !containerId || !raw.Actor?.ID) return null;
    // The stream may have opened before registration told us our installation: filter here too.
    if (installId && raw.Actor.Attributes?.[labelKeys.installId] !== installId) return null;
    return { action: raw.Action, containerId, dockerId: raw.Actor.ID };
  } catch {
    return null;
  }
}
