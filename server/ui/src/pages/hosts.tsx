import { tables } from "../api/live.ts";
import { ActionButtons, type ActionSpec } from "../components/action-buttons.tsx";
import { Badge } from "../components/badge.tsx";
import { HostGraphs } from "../components/host-graphs.tsx";
import { HostOs } from "../components/host-os.tsx";
import { HostTunnels } from "../components/host-tunnels.tsx";
import { HostUsage } from "../components/host-usage.tsx";
import { LabelsEditor } from "../components/labels-editor.tsx";
import { Link } from "../components/link.tsx";

/** One container in a host card (its own signal). */
function HostContainer(props: { projectId: string; id: string }) {
  const c = tables.container.row(props.id)?.value;
  if (!c) return null;
  return (
    <li>
      <Link href={`/env/${encodeURIComponent(props.projectId)}/containers/${encodeURIComponent(c.id)}`}>
        {c.name ?? c.id}
      </Link>{" "}
      <Badge value={c.state} />
    </li>
  );
}

const hostActions: ActionSpec[] = [
  { action: "activate", verb: "Activate" },
  { action: "deactivate", verb: "Deactivate" },
  { action: "evacuate", verb: "Evacuate", confirm: "Move every container off this host?" },
  { action: "remove", verb: "Remove", confirm: "Remove this host from the environment?" },
];

/** One host: state, address, facts, CPU/memory/disk gauges and graphs, IPsec tunnels, labels (editable), actions, containers. */
function HostCard(props: { projectId: string; id: string }) {
  const h = tables.host.row(props.id)?.value;
  if (!h) return null;
  const containers = tables.container.group("hostId", h.id).value;
  const info = h.info ?? {};
  return (
    <section class="card host" aria-labelledby={`host-${h.id}`} data-host={h.hostname}>
      <h3 id={`host-${h.id}`}>
        {h.hostname} <Badge value={h.state} label="State" /> <Badge value={h.agentState} label="Agent" />
      </h3>
      <p class="muted">
        {h.agentIpAddress ?? ""} · {info.os ?? ""} · {info.cpuCount ?? "?"} CPU · Docker{" "}
        {info.dockerVersion ?? "?"}
      </p>
      <HostOs host={h} />
      {h.info ? <HostUsage hostId={h.id} info={h.info} /> : null}
      {h.links.stats ? <HostGraphs link={h.links.stats} hostname={h.hostname} /> : null}
      <HostTunnels host={h} />
      <LabelsEditor resource={h} name={h.hostname} />
      <ActionButtons resource={h} specs={hostActions} />
      <h4>{containers.length} containers</h4>
      <ul class="host-containers">
        {containers.map((id) => (
          <HostContainer key={id} projectId={props.projectId} id={id} />
        ))}
      </ul>
    </section>
  );
}

/** The hosts page: one card per host. */
export function HostsPage(props: { projectId: string }) {
  const ids = tables.host.ids.value;
  return (
    <>
      <div class="title-row">
        <h1>Hosts</h1>
        <Link href={`/env/${encodeURIComponent(props.projectId)}/hosts/add`} class="button">
          Add host
        </Link>
      </div>
      {tables.host.loaded.value && ids.length === 0 ? <p class="muted">No hosts yet: add one.</p> : null}
      <div class="cards">
        {ids.map((id) => (
          <HostCard key={id} projectId={props.projectId} id={id} />
        ))}
      </div>
    </>
  );
}
