import type { HostStateFrameInput } from "@corral/api";

/**
 * A network view frame ready to send: its JSON text, with the type and version the hub counts and
 * tracks. The publisher assembles the text from JSON it already holds (each container's form is
 * serialised once per change, not once per host and frame).
 */
export interface StateFrameText {
  type: HostStateFrameInput["type"];
  /** The view version the frame brings a host to (none for a snapshot's later parts). */
  version?: number;
  text: string;
}

/** `{"upsert":[...],"remove":[...]}` from items already in JSON and the ids removed. */
export function upsertJson(upserts: readonly string[], removed: readonly string[]): string {
  return `{"upsert":[${upserts.join(",")}],"remove":${JSON.stringify(removed)}}`;
}

/**
 * A delta: `fields` are `"key":value` pairs already in JSON (containers, services, hosts and the
 * host's changed parts).
 */
export function deltaText(seq: number, version: number, fields: readonly string[]): StateFrameText {
  return {
    type: "hostState.delta",
    version,
    text: `{"type":"hostState.delta","seq":${seq},"version":${version},${fields.join(",")}}`,
  };
}

/**
 * A snapshot's first frame: `head` (every field but the lists, serialised by JSON.stringify) with
 * the containers, services and hosts lists added from their items' JSON.
 */
export function snapshotText(
  head: Omit<Extract<HostStateFrameInput, { type: "hostState" }>, "containers" | "services" | "hosts">,
  lists: { containers: readonly string[]; services: readonly string[]; hosts: readonly string[] },
): StateFrameText {
  const start = JSON.stringify(head).slice(0, -1);
  return {
    type: "hostState",
    version: head.version,
    text: `${start},"containers":[${lists.containers.join(",")}],"services":[${lists.services.join(",")}],"hosts":[${lists.hosts.join(",")}]}`,
  };
}

/** A snapshot's later frame: more of its containers. */
export function partText(seq: number, index: number, containers: readonly string[]): StateFrameText {
  return {
    type: "hostState.part",
    text: `{"type":"hostState.part","seq":${seq},"index":${index},"containers":[${containers.join(",")}]}`,
  };
}
