import type { HostState } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { Server } from "bun";
import type { HostStateBus } from "../host-state-bus.ts";
import type { Meta } from "./render.ts";
import { NOT_FOUND, renderText, walk } from "./render.ts";
import { buildMetadata, type MetadataTree, viewFor } from "./tree.ts";

/** The link-local address containers reach metadata on, as in Rancher 1.6. */
export const METADATA_ADDRESS = "169.254.169.250";
/** API versions rancher-metadata answered; all serve the same data here. */
export const METADATA_VERSIONS = ["2015-07-25", "2015-12-19", "2016-07-29", "latest"];
/** Longest a `version?wait=true` request is held (seconds). */
export const MAX_WAIT_S = 120;

/** Options of startMetadataServer. */
export interface MetadataServerOptions {
  bus: HostStateBus;
  logger: Logger;
  /** Listen address (default 169.254.169.250). */
  address?: string;
  /** Port (default 80; 0 picks a free one). */
  port?: number;
}

/** A running metadata server. */
export interface MetadataServer {
  readonly port: number;
  stop(): Promise<void>;
}

interface Waiter {
  value: string;
  wake: () => void;
}

/** Strips the IPv4-mapped prefix dual-stack sockets report. */
function clientIp(server: Server<undefined>, req: Request): string {
  const addr = server.requestIP(req)?.address ?? "";
  return addr.startsWith("::ffff:") ? addr.slice(7) : addr;
}

function reply(value: Meta, json: boolean): Response {
  return json
    ? new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } })
    : new Response(renderText(value), { headers: { "content-type": "text/plain; charset=utf-8" } });
}

function notFound(): Response {
  return new Response("Not found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Starts rancher-metadata's successor: the latest host state as a tree of plain-text or JSON
 * answers, `self` depending on the asking container's source address, and a long-poll on the
 * version so scripts (confd, the load balancer) react to changes without polling hard.
 */
export async function startMetadataServer(options: MetadataServerOptions): Promise<MetadataServer> {
  let tree: MetadataTree | null = null;
  const waiters = new Set<Waiter>();

  const onState = (state: HostState) => {
    tree = buildMetadata(state);
    for (const w of waiters) if (w.value !== tree.version) w.wake();
  };

  const waitForChange = (value: string, seconds: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const waiter: Waiter = { value, wake: () => finish() };
      const timer = setTimeout(() => finish(), seconds * 1000);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        signal.removeEventListener("abort", finish);
        resolve();
      };
      waiters.add(waiter);
      signal.addEventListener("abort", finish);
    });

  const server: Server<undefined> = Bun.serve({
    hostname: options.address ?? METADATA_ADDRESS,
    port: options.port ?? 80,
    async fetch(req, srv) {
      if (req.method !== "GET" && req.method !== "HEAD")
        return new Response("Method not allowed\n", { status: 405 });
      const url = new URL(req.url);
      const json = (req.headers.get("accept") ?? "").includes("application/json");
      let segments: string[];
      try {
        segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      } catch {
        return notFound();
      }
      if (segments.length === 0) return reply(json ? METADATA_VERSIONS : METADATA_VERSIONS.join("\n"), json);
      const [version, ...path] = segments;
      if (!METADATA_VERSIONS.includes(version!)) return notFound();

      if (path.length === 1 && path[0] === "version" && url.searchParams.get("wait") === "true") {
        const value = url.searchParams.get("value") ?? "";
        const asked = Number(url.searchParams.get("maxWait") ?? MAX_WAIT_S);
        const seconds = Number.isFinite(asked) && asked > 0 ? Math.min(asked, MAX_WAIT_S) : MAX_WAIT_S;
        if ((tree?.version ?? "0") === value) {
          // Keep Bun from closing the held request as idle before maxWait ends.
          srv.timeout(req, Math.min(255, Math.ceil(seconds) + 5));
          await waitForChange(value, seconds, req.signal);
        }
      }
      if (!tree) {
        if (path.length === 1 && path[0] === "version") return reply("0", json);
        return new Response("Metadata not ready\n", { status: 503 });
      }
      const found = walk(viewFor(tree, clientIp(srv, req)), path);
      return found === NOT_FOUND ? notFound() : reply(found, json);
    },
    error(e) {
      options.logger.warn("metadata request failed", { error: e });
      return new Response("Internal error\n", { status: 500 });
    },
  });
  const unsubscribe = options.bus.subscribe(onState);
  options.logger.info("metadata listening", { address: server.hostname, port: server.port });

  return {
    port: server.port ?? 0,
    async stop() {
      unsubscribe();
      for (const w of waiters) w.wake();
      await server.stop(true);
    },
  };
}
