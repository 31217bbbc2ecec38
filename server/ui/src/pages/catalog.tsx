/**
 * The catalog routes: the pages themselves (forms, Markdown) load as their own chunk on first
 * visit, so a first load of the app does not download them.
 */
import { signal } from "@preact/signals";

type CatalogModule = typeof import("../catalog/catalog-pages.tsx");

const loaded = signal<CatalogModule | null>(null);
const failed = signal<string | null>(null);
let started = false;

function load(): void {
  if (started) return;
  started = true;
  void import("../catalog/catalog-pages.tsx")
    .then((m) => {
      loaded.value = m;
    })
    .catch((e: Error) => {
      failed.value = `The catalog pages did not load: ${e.message}`;
      started = false;
    });
}

/** Which catalog page to show, and its parameters. */
export type CatalogView =
  | { view: "browse"; projectId: string }
  | { view: "template"; projectId: string; id: string; revision?: string }
  | { view: "upgrade"; projectId: string; id: string };

/** Shows a catalog page once its chunk is loaded. */
export function CatalogRoute(props: CatalogView) {
  const m = loaded.value;
  if (!m) {
    load();
    return failed.value ? (
      <p class="error" role="alert">
        {failed.value}
      </p>
    ) : (
      <p aria-busy="true">Loading…</p>
    );
  }
  switch (props.view) {
    case "browse":
      return <m.CatalogBrowsePage projectId={props.projectId} />;
    case "template":
      return <m.CatalogTemplatePage projectId={props.projectId} id={props.id} revision={props.revision} />;
    case "upgrade":
      return <m.CatalogUpgradePage projectId={props.projectId} id={props.id} />;
  }
}
