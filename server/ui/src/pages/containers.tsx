import { type Signal, useComputed, useSignal } from "@preact/signals";
import { tables } from "../api/live.ts";
import type { Container } from "../api/types.ts";
import { Badge } from "../components/badge.tsx";
import { Link } from "../components/link.tsx";
import { imageOf } from "../components/service-row.tsx";

interface Filters {
  text: Signal<string>;
  state: Signal<string>;
  hostId: Signal<string>;
}

function matches(c: Container, f: Filters): boolean {
  const text = f.text.value.trim().toLowerCase();
  if (
    text &&
    !`${c.name ?? ""} ${c.image ?? c.imageUuid ?? ""} ${c.primaryIpAddress ?? ""}`
      .toLowerCase()
      .includes(text)
  )
    return false;
  if (f.state.value && c.state !== f.state.value) return false;
  if (f.hostId.value && c.hostId !== f.hostId.value) return false;
  return true;
}

/**
 * One container row. It reads its own signal and the filters, and hides itself when it does not
 * match: a live update re-renders this row only, never the whole list.
 */
function ContainerRow(props: { projectId: string; id: string; filters: Filters }) {
  const c = tables.container.row(props.id)?.value;
  // Only the names of its host and service: a host's or service's other changes (they change
  // often) must not re-render every row on that host.
  const hostName = useComputed(() => {
    const hostId = tables.container.row(props.id)?.value.hostId;
    return hostId ? (tables.host.row(hostId)?.value.hostname ?? hostId) : "";
  });
  const serviceName = useComputed(() => {
    const serviceId = tables.container.row(props.id)?.value.serviceId;
    return serviceId ? (tables.service.row(serviceId)?.value.name ?? "") : "";
  });
  if (!c || !matches(c, props.filters)) return null;
  return (
    <tr data-container={c.name ?? c.id}>
      <th scope="row">
        <Link href={`/env/${encodeURIComponent(props.projectId)}/containers/${encodeURIComponent(c.id)}`}>
          {c.name ?? c.id}
        </Link>
      </th>
      <td>
        {/* A box of fixed size: the state, which live events change, is laid out and painted
            alone, not with the 1,000-row table around it. */}
        <div class="live-cell">
          <Badge value={c.state} label="State" />
        </div>
      </td>
      <td>{imageOf(c.imageUuid)}</td>
      <td>{hostName.value}</td>
      <td>{c.primaryIpAddress ?? ""}</td>
      <td>{serviceName.value}</td>
    </tr>
  );
}

const states = ["running", "stopped", "starting", "stopping", "error", "creating"];

/** Every container of the environment, with filters by text, state and host. */
export function ContainersPage(props: { projectId: string }) {
  const filters: Filters = {
    text: useSignal(""),
    state: useSignal(""),
    hostId: useSignal(""),
  };
  const ids = tables.container.ids.value;
  return (
    <>
      <h1>Containers</h1>
      <div class="filters">
        <label>
          Search
          <input
            type="search"
            value={filters.text.value}
            onInput={(e) => {
              filters.text.value = (e.currentTarget as HTMLInputElement).value;
            }}
          />
        </label>
        <label>
          State
          <select
            value={filters.state.value}
            onChange={(e) => {
              filters.state.value = (e.currentTarget as HTMLSelectElement).value;
            }}
          >
            <option value="">any</option>
            {states.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Host
          <select
            value={filters.hostId.value}
            onChange={(e) => {
              filters.hostId.value = (e.currentTarget as HTMLSelectElement).value;
            }}
          >
            <option value="">any</option>
            {tables.host.ids.value.map((id) => (
              <option key={id} value={id}>
                {tables.host.row(id)!.peek().hostname}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!tables.container.loaded.value ? <p aria-busy="true">Loading…</p> : null}
      <table class="containers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Image</th>
            <th scope="col">Host</th>
            <th scope="col">IP</th>
            <th scope="col">Service</th>
          </tr>
        </thead>
        <tbody>
          {ids.map((id) => (
            <ContainerRow key={id} projectId={props.projectId} id={id} filters={filters} />
          ))}
        </tbody>
      </table>
      {tables.container.loaded.value && ids.length === 0 ? <p class="muted">No containers.</p> : null}
    </>
  );
}
