import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ApiError, projectPath, request } from "../../api/client.ts";
import type { Collection, Resource } from "../../api/types.ts";
import { ErrorLine, message } from "../../components/feedback.tsx";

/** One audit row as the API shows it. */
interface AuditLog extends Resource {
  eventType: string;
  resourceType: string | null;
  resourceId: string | null;
  authenticatedAsAccountId: string | null;
  authType: string | null;
  clientIp: string | null;
  responseCode: number | null;
}

/** Rows per page. */
const pageSize = 25;

/** The resource types an audit row can name, offered in the filter (free text is allowed too). */
const resourceTypes = [
  "stack",
  "service",
  "container",
  "host",
  "project",
  "projectMember",
  "apiKey",
  "certificate",
  "registrationToken",
  "account",
  "token",
];

/** A `datetime-local` value, read as UTC like the table's times, as ISO 8601; "" when empty or bad. */
function isoOf(local: string): string {
  const t = Date.parse(`${local}Z`);
  return local && !Number.isNaN(t) ? new Date(t).toISOString() : "";
}

/** The first page's URL for a filter form: newest first, each filled field a server-side filter. */
function firstPage(projectId: string, form: FormData | null): string {
  const q = new URLSearchParams({ sort: "created", order: "desc", limit: String(pageSize) });
  const text = (k: string) => String(form?.get(k) ?? "").trim();
  if (text("resourceType")) q.set("resourceType", text("resourceType"));
  // Event types read `api.<type>.<verb>`: a prefix (`api.stack`) or a verb (`create`) both find rows.
  const event = text("eventType");
  if (event) q.set(event.includes(".") ? "eventType_prefix" : "eventType_like", event);
  if (text("who")) q.set("authenticatedAsAccountId", text("who"));
  if (isoOf(text("from"))) q.set("created_gte", isoOf(text("from")));
  if (isoOf(text("to"))) q.set("created_lte", isoOf(text("to")));
  return `${projectPath(projectId, "auditlogs")}?${q}`;
}

/** The environment's audit log: filters by resource type, event, who and time; paged, newest first. */
export function AuditLogPage(props: { projectId: string }) {
  const rows = useSignal<AuditLog[] | null>(null);
  const error = useSignal<string | null>(null);
  // The URLs of the pages seen, so Previous goes back; the last is the page shown.
  const pages = useSignal<string[]>([]);
  const next = useSignal<string | null>(null);
  const show = async (url: string, trail: string[]) => {
    error.value = null;
    try {
      const answer = await request<Collection<AuditLog> & { pagination?: { next?: string | null } }>(
        "GET",
        url,
      );
      rows.value = answer.data;
      next.value = answer.pagination?.next ?? null;
      pages.value = [...trail, url];
    } catch (e) {
      error.value =
        e instanceof ApiError && e.status === 403
          ? "Your role in this environment does not include reading its audit log."
          : message(e);
    }
  };
  useEffect(() => {
    void show(firstPage(props.projectId, null), []);
  }, [props.projectId]);
  const filter = (e: Event) => {
    e.preventDefault();
    void show(firstPage(props.projectId, new FormData(e.currentTarget as HTMLFormElement)), []);
  };
  const trail = pages.value;
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={filter} aria-label="Filter the audit log">
        <label>
          Resource type
          <input name="resourceType" list="audit-resource-types" />
        </label>
        <datalist id="audit-resource-types">
          {resourceTypes.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <label>
          Event
          <input name="eventType" placeholder="api.stack or create" />
        </label>
        <label>
          Account id
          <input name="who" placeholder="1a1" />
        </label>
        <label>
          From (UTC)
          <input name="from" type="datetime-local" />
        </label>
        <label>
          To (UTC)
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorLine text={error.value} />
      {rows.value === null && !error.value ? <p aria-busy="true">Loading…</p> : null}
      {rows.value?.length === 0 ? <p class="muted">No audit entries match.</p> : null}
      {rows.value && rows.value.length > 0 ? (
        <table class="services" data-testid="audit-rows">
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Event</th>
              <th scope="col">Resource</th>
              <th scope="col">Who</th>
              <th scope="col">Client IP</th>
              <th scope="col">Code</th>
            </tr>
          </thead>
          <tbody>
            {rows.value.map((r) => (
              <tr key={r.id} data-event={r.eventType}>
                <td>{r.created?.replace("T", " ").slice(0, 19)}</td>
                <th scope="row">{r.eventType}</th>
                <td>
                  {r.resourceType} {r.resourceId}
                </td>
                <td>{r.authenticatedAsAccountId}</td>
                <td>{r.clientIp}</td>
                <td>{r.responseCode}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav class="actions" aria-label="Audit log pages">
        <button
          type="button"
          disabled={trail.length < 2}
          onClick={() => void show(trail[trail.length - 2]!, trail.slice(0, -2))}
        >
          Previous page
        </button>
        <span role="status">Page {trail.length || 1}</span>
        <button
          type="button"
          disabled={!next.value}
          onClick={() => next.value && void show(next.value, trail)}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
