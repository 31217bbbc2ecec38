import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import { tables } from "../api/live.ts";
import { Badge } from "../components/badge.tsx";
import { ContainerStats } from "../components/container-stats.tsx";
import { LogsPanel } from "../components/logs.tsx";
import { imageOf } from "../components/service-row.tsx";
import { ShellPanel } from "../components/shell.tsx";

/**
 * One container: its fields, start/stop/restart/remove, its CPU and memory graphs, its logs and a
 * shell in it.
 */
export function ContainerDetailPage(props: { projectId: string; id: string }) {
  const error = useSignal<string | null>(null);
  const c = tables.container.row(props.id)?.value;
  if (!c)
    return tables.container.loaded.value ? (
      <p>Container {props.id} not found (it may have been removed).</p>
    ) : (
      <p aria-busy="true">Loading…</p>
    );
  const host = c.hostId ? tables.host.row(c.hostId)?.value : undefined;
  const act = async (name: string) => {
    error.value = null;
    try {
      await api.action(c, name);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  };
  const fields: [string, string][] = [
    ["Id", c.id],
    ["Image", imageOf(c.imageUuid)],
    ["Host", host?.hostname ?? c.hostId ?? ""],
    ["IP address", c.primaryIpAddress ?? ""],
    ["Ports", (c.ports ?? []).join(", ")],
    ["Command", Array.isArray(c.command) ? c.command.join(" ") : (c.command ?? "")],
    ["Starts", String(c.startCount ?? "")],
    ["Exit code", c.exitCode === null || c.exitCode === undefined ? "" : String(c.exitCode)],
    ["Created", c.created ?? ""],
  ];
  return (
    <>
      <h1>
        Container {c.name} <Badge value={c.state} label="State" />
      </h1>
      <div class="actions">
        {(["start", "stop", "restart", "remove"] as const).map((name) => (
          <button
            key={name}
            type="button"
            class={name === "remove" ? "danger" : undefined}
            disabled={!c.actions[name]}
            onClick={() => void act(name)}
          >
            {name[0]!.toUpperCase() + name.slice(1)}
          </button>
        ))}
      </div>
      {error.value ? (
        <p class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      <dl class="fields">
        {fields
          .filter(([, v]) => v !== "")
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      {c.transitioningMessage ? <p class="warning">{c.transitioningMessage}</p> : null}
      <ContainerStats container={c} />
      <LogsPanel container={c} />
      <ShellPanel container={c} />
    </>
  );
}
