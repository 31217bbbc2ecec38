import { batch, signal } from "@preact/signals";
import { api, projectPath } from "./client.ts";
import { ResourceTable } from "./table.ts";
import type { Container, EventMessage, Host, Project, Resource, Service, Stack } from "./types.ts";

/** The resources of the chosen environment, kept current by the event stream. */
export const tables = {
  project: new ResourceTable<Project>(),
  stack: new ResourceTable<Stack>(),
  service: new ResourceTable<Service>(["stackId"]),
  container: new ResourceTable<Container>(["serviceId", "hostId"]),
  host: new ResourceTable<Host>(),
};

type TableName = keyof typeof tables;

/** The event stream's state, shown in the header. */
export const liveState = signal<"connecting" | "live" | "offline">("connecting");

/** Applies one event-stream message to the tables (unknown types are ignored). */
export function applyEvent(message: EventMessage): void {
  if (message.name !== "resource.change" || !message.data?.resource) return;
  const table = tables[message.resourceType as TableName] as ResourceTable<Resource> | undefined;
  table?.upsert(message.data.resource);
}

/** Events received and not yet applied (applied together, once per animation frame). */
const pending: EventMessage[] = [];
let flushScheduled = false;

/**
 * Applies the events received so far, in the order they came, in one batch: the events of a burst
 * (a container's stopping, then stopped) re-render and lay out the page once, not once each.
 */
export function flushEvents(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const list = pending.splice(0);
  batch(() => {
    for (const message of list) applyEvent(message);
  });
}

/** Queues one event; the next animation frame applies the queue (a hidden page, after a short delay). */
function enqueue(message: EventMessage): void {
  pending.push(message);
  if (flushScheduled) return;
  flushScheduled = true;
  // A hidden page gets no animation frames: a timer applies its events (nothing is drawn there).
  if (document.visibilityState === "visible") requestAnimationFrame(flushEvents);
  else setTimeout(flushEvents, 100);
}

const collections: [Exclude<TableName, "project">, string][] = [
  ["stack", "stacks"],
  ["service", "services"],
  ["container", "containers"],
  ["host", "hosts"],
];

/** How many list loads were started, and the newest whose answer was applied, per table. */
let loadsStarted = 0;
const applied = new Map<string, number>();

/**
 * Loads every list of an environment into the tables, each as soon as it arrives (the page renders
 * what it has). An answer older than one already applied is dropped: two loads may overlap.
 */
export async function loadEnvironment(projectId: string): Promise<void> {
  const started = ++loadsStarted;
  await Promise.all(
    collections.map(async ([name, path]) => {
      const list = await api.list<Resource>(projectPath(projectId, path));
      if (current !== projectId || (applied.get(name) ?? 0) > started) return;
      applied.set(name, started);
      // Events that came before this answer are applied first: what arrived later wins, as before.
      flushEvents();
      (tables[name] as ResourceTable<Resource>).replace(list);
    }),
  );
}

let socket: WebSocket | null = null;
let current: string | null = null;
/** The load `follow` started: the load once subscribed waits for it (two at once compete for the CPU). */
let firstLoad: Promise<void> = Promise.resolve();
let retry: ReturnType<typeof setTimeout> | null = null;

/**
 * Follows one environment: loads its lists at once (the page shows them without waiting for the
 * event stream), opens `/v2-beta/subscribe` and applies its events as they come; once subscribed it
 * loads the lists again, so a change made before the subscription began is not missed. A dropped
 * stream reconnects with backoff and reloads the lists (events may have been missed).
 */
export function follow(projectId: string): void {
  if (current === projectId) return;
  stopFollowing();
  current = projectId;
  applied.clear();
  pending.length = 0;
  for (const [name] of collections) tables[name].clear();
  firstLoad = loadEnvironment(projectId).catch(() => undefined);
  connect(projectId, 0);
}

/** Closes the event stream. */
export function stopFollowing(): void {
  current = null;
  pending.length = 0;
  if (retry) clearTimeout(retry);
  retry = null;
  const old = socket;
  socket = null;
  old?.close();
}

function connect(projectId: string, attempt: number): void {
  liveState.value = "connecting";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(
    `${scheme}://${location.host}/v2-beta/subscribe?projectId=${encodeURIComponent(projectId)}`,
  );
  socket = ws;
  ws.onopen = () => {
    if (socket !== ws) return;
    // Loaded again once subscribed: a change made before arrives in this load, one after as an event.
    // It starts after the first load's answers (it only has to start after the subscription did);
    // what did not change since re-renders nothing.
    firstLoad
      .then(() => loadEnvironment(projectId))
      .then(
        () => {
          if (socket === ws) liveState.value = "live";
        },
        () => undefined,
      );
    attempt = 0;
  };
  ws.onmessage = (m) => {
    if (socket !== ws || typeof m.data !== "string") return;
    try {
      enqueue(JSON.parse(m.data) as EventMessage);
    } catch {
      // A message we cannot read changes nothing.
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    liveState.value = "offline";
    // A refused upgrade says nothing about why: ask the API, whose 401 shows the login page.
    api.get("/v2-beta").catch(() => undefined);
    const delay = Math.min(30_000, 500 * 2 ** attempt);
    retry = setTimeout(() => current === projectId && connect(projectId, attempt + 1), delay);
  };
}
