// What the agent reads back from Docker: container states, ports, stats, the multiplexed log and
// exec streams, and engine events (the spec going the other way is in docker-spec.test.ts).
import { describe, expect, test } from "bun:test";
import { labelKeys } from "@corral/api";
import { isRelayedAction } from "./container-events.ts";
import { Demuxer } from "./demux.ts";
import { mapState, portsFromMap, statsFromSample } from "./docker-observe.ts";
import { parseEngineEvent } from "./dockerode-driver.ts";

describe("docker observation", () => {
  test("states outside the protocol's set read as dead", () => {
    expect(mapState("running")).toBe("running");
    expect(mapState("weird")).toBe("dead");
  });

  test("ports are deduplicated across IPv4 and IPv6", () => {
    const ports = portsFromMap({
      "80/tcp": [
        { HostIp: "0.0.0.0", HostPort: "32768" },
        { HostIp: "::", HostPort: "32768" },
      ],
      "81/tcp": null,
      "53/udp": [{ HostIp: "127.0.0.1", HostPort: "53" }],
    });
    expect(ports).toEqual([
      { privatePort: 80, publicPort: 32768, protocol: "tcp" },
      { privatePort: 53, publicPort: 53, protocol: "udp", bindAddress: "127.0.0.1" },
    ]);
  });

  test("stats follow the Docker CLI's formulas", () => {
    const stats = statsFromSample({
      cpu_stats: { cpu_usage: { total_usage: 2_000 }, system_cpu_usage: 20_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
      memory_stats: { usage: 5_000, limit: 10_000, stats: { inactive_file: 1_000 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: "Read", value: 7 },
          { op: "write", value: 8 },
        ],
      },
      pids_stats: { current: 3 },
    } as never);
    expect(stats).toEqual({
      cpuPercent: 20,
      memoryUsage: 4_000,
      memoryLimit: 10_000,
      networkRxBytes: 11,
      networkTxBytes: 22,
      blockReadBytes: 7,
      blockWriteBytes: 8,
      pids: 3,
    });
  });
});

describe("streams and events", () => {
  test("the demuxer reassembles frames split anywhere", () => {
    const frame = (type: number, text: string) => {
      const body = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + body.length);
      out[0] = type;
      new DataView(out.buffer).setUint32(4, body.length);
      out.set(body, 8);
      return out;
    };
    const all = new Uint8Array([...frame(1, "out "), ...frame(2, "err "), ...frame(1, "done")]);
    for (const split of [1, 3, 8, 9, 13, all.length]) {
      let text = "";
      const demux = new Demuxer((chunk) => {
        text += new TextDecoder().decode(chunk);
      });
      for (let at = 0; at < all.length; at += split) demux.push(all.subarray(at, at + split));
      expect(text).toBe("out err done");
    }
  });

  test("engine events: only managed containers, relayed actions by prefix", () => {
    const line = JSON.stringify({
      Type: "container",
      Action: "health_status: healthy",
      Actor: { ID: "abc", Attributes: { [labelKeys.containerId]: "1i3" } },
    });
    expect(parseEngineEvent(line)).toEqual({
      action: "health_status: healthy",
      containerId: "1i3",
      dockerId: "abc",
    });
    expect(
      parseEngineEvent(JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "x" } })),
    ).toBeNull();
    expect(parseEngineEvent("{broken")).toBeNull();
    expect(isRelayedAction("health_status: healthy")).toBe(true);
    expect(isRelayedAction("die")).toBe(true);
    expect(isRelayedAction("exec_start: sh")).toBe(false);
  });
});
