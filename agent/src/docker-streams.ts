import { sleep } from "@corral/lib";
import type Docker from "dockerode";
import { Demuxer } from "./demux.ts";
import { toAppError } from "./docker-errors.ts";
import type { ExecHandle, ExecOptions, LogOptions } from "./driver.ts";
import { terminalSizer } from "./terminal-size.ts";

/** A readable Node stream as dockerode hands it out. */
type Readable = NodeJS.ReadableStream & { destroy?: () => void };

/** A sink for output: demultiplexed unless the container or exec has a terminal. */
function sink(tty: boolean, onData: (chunk: Uint8Array) => void): (data: Uint8Array) => void {
  if (tty) return onData;
  const demux = new Demuxer(onData);
  return (data) => demux.push(data);
}

/**
 * Resolves when a stream ended or closed; rejects when it failed first, unless `signal` aborted
 * (destroying a stream we were asked to stop is not a failure worth reporting).
 */
function finished(stream: Readable, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("end", () => resolve());
    stream.once("close", () => resolve());
    stream.once("error", (e) => (signal?.aborted ? resolve() : reject(toAppError(e))));
  });
}

/** Streams a container's log until it ends or `signal` aborts (see DockerDriver.logs). */
export async function streamLogs(
  container: Docker.Container,
  options: LogOptions,
  onData: (chunk: Uint8Array) => void,
  signal: AbortSignal,
): Promise<void> {
  let tty: boolean;
  try {
    tty = (await container.inspect()).Config.Tty;
  } catch (e) {
    throw toAppError(e);
  }
  const write = sink(tty, onData);
  // Docker sends the whole log when no tail is given.
  const query = {
    stdout: true,
    stderr: true,
    timestamps: options.timestamps,
    ...(options.lines !== undefined && { tail: options.lines }),
    ...(options.since !== undefined && { since: options.since }),
  };
  if (!options.follow) {
    // Without follow dockerode answers with the whole log as one buffer.
    const data = (await container.logs({ ...query, follow: false }).catch((e) => {
      throw toAppError(e);
    })) as unknown as Uint8Array;
    write(data);
    return;
  }
  const stream = (await container.logs({ ...query, follow: true, abortSignal: signal }).catch((e) => {
    throw toAppError(e);
  })) as unknown as Readable;
  const abort = () => stream.destroy?.();
  if (signal.aborted) abort();
  signal.addEventListener("abort", abort, { once: true });
  stream.on("data", (chunk: Uint8Array) => write(chunk));
  try {
    await finished(stream, signal);
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

/** Starts an exec and wires its output and stdin (see DockerDriver.exec). */
export async function startExec(
  container: Docker.Container,
  options: ExecOptions,
  onData: (chunk: Uint8Array) => void,
): Promise<ExecHandle> {
  let exec: Docker.Exec;
  let stream: NodeJS.ReadWriteStream & { destroy?: () => void };
  try {
    exec = await container.exec({
      Cmd: options.command,
      AttachStdin: options.attachStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
    });
    // hijack keeps the connection raw and two-way, which stdin needs.
    stream = (await exec.start({
      hijack: options.attachStdin,
      stdin: options.attachStdin,
      Tty: options.tty,
    })) as never;
  } catch (e) {
    throw toAppError(e);
  }
  const write = sink(options.tty, onData);
  stream.on("data", (chunk: Uint8Array) => write(chunk));
  // Errors after we closed the stream ourselves are the close, not a failure.
  const closing = new AbortController();
  const done = finished(stream, closing.signal).then(() => exitCodeOf(exec));
  // Docker's exec resize takes height and width; only an exec with a terminal has a size.
  const resize = options.tty
    ? terminalSizer(({ cols, rows }) => exec.resize({ h: rows, w: cols }))
    : () => {};
  return {
    write(data) {
      if (options.attachStdin) stream.write(data);
    },
    resize,
    close() {
      closing.abort();
      // Half-closing tells Docker stdin reached EOF, so `cat` and shells exit on their own.
      if (options.attachStdin) stream.end();
      else stream.destroy?.();
    },
    done,
  };
}

/**
 * Reads an exec's exit code. Docker may report it a moment after the output ends, and on a busy
 * machine that moment grows to seconds, so it waits up to ten seconds (by the clock, not by a
 * count of tries, since each inspect itself slows down under load).
 */
async function exitCodeOf(exec: Docker.Exec): Promise<number | undefined> {
  const deadline = Date.now() + 10_000;
  for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
    try {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode ?? undefined;
    } catch {
      return undefined;
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(pause);
  }
}
