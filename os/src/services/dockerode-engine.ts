import Docker from "dockerode";
import { labels } from "./container-spec.ts";
import type { ContainerState, Engine, ExecResult } from "./engine.ts";

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

/** The supervisor's engine backed by a real dockerd (System Docker) through dockerode. */
export class DockerodeEngine implements Engine {
  readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  async inspect(name: string): Promise<ContainerState | null> {
    try {
      const info = await this.docker.getContainer(name).inspect();
      return { running: info.State.Running, hash: info.Config.Labels?.[labels.hash] };
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async create(options: Docker.ContainerCreateOptions): Promise<void> {
    await this.docker.createContainer(options);
  }

  async start(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (e) {
      if (statusOf(e) !== 304) throw e;
    }
  }

  async wait(name: string, signal?: AbortSignal): Promise<number> {
    // The request is given the signal too, but under Bun an aborted request to a dead dockerd was
    // seen to stay pending: the race is what makes the abort certain.
    const request = this.docker.getContainer(name).wait({ abortSignal: signal }) as Promise<{
      StatusCode: number;
    }>;
    if (!signal) return (await request).StatusCode;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error(`gave up waiting for ${name}`));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    request.catch(() => {});
    try {
      return (await Promise.race([request, aborted])).StatusCode;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Runs `cmd` with a terminal (one plain stream, no multiplexing) and reads its exit code. */
  async exec(name: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker
      .getContainer(name)
      .exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true, Tty: true });
    const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
    let output = "";
    const ended = new Promise<boolean>((resolve) => {
      stream.on("data", (d: Buffer) => {
        output = (output + d.toString("utf8")).slice(-2000);
      });
      stream.on("end", () => resolve(true));
      stream.on("close", () => resolve(true));
      stream.on("error", () => resolve(true));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finished = await Promise.race([
      ended,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      stream.destroy();
      throw new Error(`${cmd[0]} did not finish within ${timeoutMs} ms`);
    }
    return { code: (await exec.inspect()).ExitCode ?? -1, output: output.replace(/\r\n/g, "\n") };
  }

  async stop(name: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(name).stop({ t: timeoutSeconds });
    } catch (e) {
      if (statusOf(e) !== 304 && statusOf(e) !== 404) throw e;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
  }

  async listServiceContainers(): Promise<string[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [labels.service] } });
    return list.map((c) => c.Labels[labels.service] ?? (c.Names[0] ?? "").replace(/^\//, ""));
  }

  /** The last lines of a service's logs, stdout and stderr demultiplexed. */
  async logs(name: string, tail = 200): Promise<string> {
    const container = this.docker.getContainer(name);
    const info = await container.inspect();
    const buf = (await container.logs({
      stdout: true,
      stderr: true,
      tail,
      follow: false,
    })) as unknown as Buffer;
    if (info.Config.Tty) return buf.toString("utf8");
    let out = "";
    for (let i = 0; i + 8 <= buf.length; ) {
      const size = buf.readUInt32BE(i + 4);
      out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
      i += 8 + size;
    }
    return out;
  }
}
