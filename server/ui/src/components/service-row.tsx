import { tables } from "../api/live.ts";
import { Badge } from "./badge.tsx";
import { ScaleControl } from "./scale.tsx";
import { ServiceActions } from "./service-actions.tsx";

/** The image name without the `docker:` prefix Rancher's API puts on it. */
export function imageOf(imageUuid: string | undefined | null): string {
  return (imageUuid ?? "").replace(/^docker:/, "");
}

/** One service in a stack's table: its own signal and its containers' group only. */
export function ServiceRow(props: { id: string }) {
  const s = tables.service.row(props.id)?.value;
  if (!s) return null;
  const containers = tables.container.group("serviceId", s.id).value.length;
  return (
    <tr data-service={s.name ?? s.id}>
      <th scope="row">
        {s.name}
        {s.schedulingMessage ? <p class="warning">{s.schedulingMessage}</p> : null}
      </th>
      <td>{imageOf(s.launchConfig?.imageUuid)}</td>
      <td>
        <Badge value={s.state} label="State" />
      </td>
      <td>
        <Badge value={s.healthState} label="Health" />
      </td>
      <td>
        <ScaleControl service={s} />
      </td>
      <td data-testid="container-count">{containers}</td>
      <td>
        <ServiceActions service={s} />
      </td>
    </tr>
  );
}

/** The services table of one stack. */
export function ServiceTable(props: { stackId: string }) {
  const ids = tables.service.group("stackId", props.stackId).value;
  if (ids.length === 0) return <p class="muted">No services.</p>;
  return (
    <table class="services">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Image</th>
          <th scope="col">State</th>
          <th scope="col">Health</th>
          <th scope="col">Scale</th>
          <th scope="col">Containers</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => (
          <ServiceRow key={id} id={id} />
        ))}
      </tbody>
    </table>
  );
}
