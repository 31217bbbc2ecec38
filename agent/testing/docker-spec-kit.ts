/**
 * Helpers for tests that run instance specs against the real engine: a minimal spec to override,
 * and a command's standard output from inside a container.
 */
import type { InstanceSpec } from "@corral/api";
import type Docker from "dockerode";
import { Demuxer } from "../src/demux.ts";

/**
 * A `sleep` container spec on the managed network, labelled `test.run=<run>` (so a test's
 * afterAll finds its containers), named `<prefix>-<run>-<suffix>`.
 */
export function testSpec(
  run: string,
  prefix: string,
  suffix: string,
  overrides: Partial<InstanceSpec>,
): InstanceSpec {
  return {
    containerId: `1i${run}${suffix}`,
    projectId: "1a1",
    name: `${prefix}-${run}-${suffix}`,
    image: "corral/busybox:latest",
    command: ["sleep", "3600"],
    environment: {},
    labels: { "test.run": run },
    ports: [],
    volumes: [],
    networkMode: "managed",
    tty: false,
    stdinOpen: false,
    pullPolicy: "never",
    ...overrides,
  };
}

/** Runs `sh -c script` in a container and returns its standard output. */
export async function shOutput(docker: Docker, dockerId: string, script: string): Promise<string> {
  const exec = await docker.getContainer(dockerId).exec({ Cmd: ["sh", "-c", script], AttachStdout: true });
  const stream = await exec.start({});
  let out = "";
  const demux = new Demuxer((chunk) => {
    out += Buffer.from(chunk).toString();
  });
  stream.on("data", (chunk: Uint8Array) => demux.push(chunk));
  await new Promise((resolve) => stream.on("end", resolve));
  return out;
}
