import type { ComponentChildren } from "preact";

/**
 * A page's list of resources: "Loading…" before the first answer (unless it failed), "No <what>
 * yet." when empty, else a table with these column headers and one `row` per item (the row
 * element, keyed, is the caller's).
 */
export function ListTable<T>(props: {
  list: T[] | null;
  error: string | null;
  what: string;
  columns: string[];
  row: (item: T) => ComponentChildren;
}) {
  if (props.list === null) return props.error ? null : <p aria-busy="true">Loading…</p>;
  if (props.list.length === 0) return <p class="muted">No {props.what} yet.</p>;
  return (
    <table class="services">
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.list.map(props.row)}</tbody>
    </table>
  );
}
