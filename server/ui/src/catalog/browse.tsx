/** The catalog's templates by category with a search box, and the state of each catalog. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { tables } from "../api/live.ts";
import { ActionButtons, type ActionSpec } from "../components/action-buttons.tsx";
import { Badge } from "../components/badge.tsx";
import { RemoveButton } from "../components/feedback.tsx";
import { Link } from "../components/link.tsx";
import { type Catalog, iconPath, listCatalogs, listTemplates, type Template } from "./api.ts";
import { AddCatalogForm, EditCatalogForm } from "./catalog-admin.tsx";

/** The categories a template is listed under (`categories`, else `category`, else "Other"). */
export function categoriesOf(t: Template): string[] {
  if (t.categories?.length) return t.categories;
  return [t.category || "Other"];
}

/** Whether a template matches the search words (every word in its name or description). */
export function matches(t: Template, search: string): boolean {
  const text = `${t.name ?? ""} ${t.description ?? ""}`.toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}

/** A catalog's one action: fetch it again now (offered to those who may: admins, owners). */
const refreshSpec: ActionSpec[] = [{ action: "refresh", verb: "Refresh" }];

function TemplateCard(props: { projectId: string; t: Template }) {
  const { t } = props;
  const icon = iconPath(t);
  const broken = t.state === "broken";
  return (
    <li class="card catalog-card" data-template={t.id}>
      <h3>
        {icon ? <img src={icon} alt="" width={32} height={32} loading="lazy" /> : null}{" "}
        <Link href={`/env/${encodeURIComponent(props.projectId)}/catalog/${encodeURIComponent(t.id)}`}>
          {t.name ?? t.id}
        </Link>{" "}
        {broken ? <Badge value="broken" label="State" /> : null}
      </h3>
      <p>{t.description}</p>
      {t.transitioningMessage ? (
        <p class={broken ? "error" : "warning"}>
          {broken ? "Broken: " : "Some versions are unusable: "}
          {t.transitioningMessage}
        </p>
      ) : null}
      <p class="muted">
        {t.catalogId}
        {t.defaultVersion ? ` · ${t.defaultVersion}` : ""}
        {t.templateBase === "infra" ? " · infrastructure" : ""}
      </p>
    </li>
  );
}

/** A new edit form (its fields filled afresh) whenever the catalog's stored source changes. */
const editKey = (c: Catalog) => `${c.url} ${c.branch} ${c.knownHosts ?? ""} ${c.hasCredentials}`;

/** Browse the catalog: choose a category, search by name or description. */
export function CatalogBrowsePage(props: { projectId: string }) {
  const catalogs = useSignal<Catalog[] | null>(null);
  const templates = useSignal<Template[] | null>(null);
  const error = useSignal<string | null>(null);
  const search = useSignal("");
  const category = useSignal("");
  const load = () =>
    Promise.all([listCatalogs(props.projectId), listTemplates(props.projectId)])
      .then(([c, t]) => {
        catalogs.value = c;
        templates.value = t.sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
      })
      .catch((e: Error) => {
        error.value = e.message;
      });
  useEffect(() => {
    void load();
  }, [props.projectId]);
  // A catalog being fetched (one just added) is looked at again until its fetch ends, so its state
  // and templates appear without a reload.
  useEffect(() => {
    if (!catalogs.value?.some((c) => c.state === "refreshing")) return;
    const timer = setTimeout(() => void load(), 1000);
    return () => clearTimeout(timer);
  }, [catalogs.value]);
  if (error.value)
    return (
      <p class="error" role="alert">
        {error.value}
      </p>
    );
  if (!templates.value || !catalogs.value) return <p aria-busy="true">Loading…</p>;
  // The server offers `setmembers` to the environment's owners and to admins: those who may add and
  // remove catalogs (a global one needs an admin; the server refuses others with its reason).
  const manages = Boolean(tables.project.row(props.projectId)?.value.actions.setmembers);
  const all = templates.value;
  const categories = [...new Set(all.flatMap(categoriesOf))].sort();
  const shown = all.filter(
    (t) => (!category.value || categoriesOf(t).includes(category.value)) && matches(t, search.value),
  );
  return (
    <>
      <h1>Catalog</h1>
      <section aria-label="Catalogs">
        <ul class="catalog-states">
          {catalogs.value.map((c) => (
            <li key={c.id} data-catalog={c.id}>
              <strong>{c.name}</strong> <Badge value={c.state} label="State" />{" "}
              <span class="muted">
                {c.url} ({c.branch}){c.environmentId === "global" ? "" : " · this environment"}
              </span>
              {c.transitioningMessage ? <span class="error"> {c.transitioningMessage}</span> : null}{" "}
              <ActionButtons resource={c} specs={refreshSpec} onDone={() => void load()} />
              {manages ? (
                <RemoveButton
                  resource={c}
                  what="catalog"
                  consequence="Stacks launched from it keep running."
                  onDone={() => void load()}
                />
              ) : null}
              {/* One from the catalog.url setting is changed in the settings instead. */}
              {manages && !c.fromSetting ? (
                <EditCatalogForm key={editKey(c)} catalog={c} onSaved={() => void load()} />
              ) : null}
              {c.sshPublicKey ? (
                <details class="catalog-key">
                  <summary>Public key (add it to the git server as a deploy key)</summary>
                  <code>{c.sshPublicKey}</code>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
        {manages ? <AddCatalogForm projectId={props.projectId} onAdded={() => void load()} /> : null}
      </section>
      <div class="filters">
        <label>
          Search
          <input
            type="search"
            value={search.value}
            onInput={(e) => {
              search.value = (e.currentTarget as HTMLInputElement).value;
            }}
          />
        </label>
        <label>
          Category
          <select
            value={category.value}
            onChange={(e) => {
              category.value = (e.currentTarget as HTMLSelectElement).value;
            }}
          >
            <option value="">All</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <span role="status">
          {shown.length} of {all.length} templates
        </span>
      </div>
      {shown.length === 0 ? <p>No template matches.</p> : null}
      {categories
        .filter((c) => !category.value || c === category.value)
        .map((c) => {
          const inCategory = shown.filter((t) => categoriesOf(t).includes(c));
          if (inCategory.length === 0) return null;
          return (
            <section key={c} aria-labelledby={`cat-${c.replace(/\W/g, "_")}`}>
              <h2 id={`cat-${c.replace(/\W/g, "_")}`}>{c}</h2>
              <ul class="cards catalog-cards">
                {inCategory.map((t) => (
                  <TemplateCard key={t.id} projectId={props.projectId} t={t} />
                ))}
              </ul>
            </section>
          );
        })}
    </>
  );
}
