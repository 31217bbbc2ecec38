import { tables } from "../api/live.ts";
import { Badge } from "../components/badge.tsx";
import { Link } from "../components/link.tsx";
import { ServiceTable } from "../components/service-row.tsx";

/** One stack: name, state, health colour, and its services with scale and container counts. */
function StackCard(props: { projectId: string; id: string }) {
  const stack = tables.stack.row(props.id)?.value;
  if (!stack) return null;
  const href = `/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`;
  return (
    <section
      class={`card stack health-${stack.healthState ?? "unknown"}`}
      aria-labelledby={`stack-${stack.id}`}
    >
      <h3 id={`stack-${stack.id}`}>
        <Link href={href}>{stack.name}</Link> <Badge value={stack.state} label="State" />{" "}
        <Badge value={stack.healthState} label="Health" />
      </h3>
      {stack.description ? <p class="muted">{stack.description}</p> : null}
      <ServiceTable stackId={stack.id} />
    </section>
  );
}

/** The stacks page: user stacks, then infrastructure stacks. */
export function StacksPage(props: { projectId: string }) {
  const ids = tables.stack.ids.value;
  // `system` never changes for a stack: peek, so an update to one stack re-renders only its card.
  const user = ids.filter((id) => !tables.stack.row(id)!.peek().system);
  const infra = ids.filter((id) => tables.stack.row(id)!.peek().system);
  const base = `/env/${encodeURIComponent(props.projectId)}`;
  // The cards are drawn once their services and container counts are in: drawn as each list
  // arrived, 50 cards were laid out three times (empty, with services, with counts) on a first load.
  const loaded = tables.stack.loaded.value && tables.service.loaded.value && tables.container.loaded.value;
  return (
    <>
      <div class="title-row">
        <h1>Stacks</h1>
        <Link href={`${base}/stacks/new`} class="button">
          Add stack
        </Link>
      </div>
      {!loaded ? <p aria-busy="true">Loading…</p> : null}
      {loaded && user.length === 0 ? (
        <p class="muted">No stacks yet: add one from a docker-compose.yml.</p>
      ) : null}
      {loaded ? user.map((id) => <StackCard key={id} projectId={props.projectId} id={id} />) : null}
      {loaded && infra.length > 0 ? (
        <>
          <h2>Infrastructure stacks</h2>
          {infra.map((id) => (
            <StackCard key={id} projectId={props.projectId} id={id} />
          ))}
        </>
      ) : null}
    </>
  );
}
