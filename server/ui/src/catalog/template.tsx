/** One template: icon, description, versions, the chosen version's README and its launch form. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { Badge } from "../components/badge.tsx";
import { Link } from "../components/link.tsx";
import { getTemplate, iconPath, listVersions, type Template, type TemplateVersion } from "./api.ts";
import { LaunchForm } from "./launch-form.tsx";
import { renderMarkdown, safeHref } from "./markdown.tsx";

/** The version a page shows: the one named, else the template's default, else the newest usable. */
function chosen(t: Template, versions: TemplateVersion[], revision?: string): TemplateVersion | undefined {
  if (revision !== undefined) return versions.find((v) => String(v.revision) === revision);
  return (
    versions.find((v) => v.id === t.defaultTemplateVersionId) ??
    [...versions].reverse().find((v) => v.compatible) ??
    versions.at(-1)
  );
}

/** The template page; `revision` picks a version (`/catalog/<template>/<N>`). */
export function CatalogTemplatePage(props: { projectId: string; id: string; revision?: string }) {
  const template = useSignal<Template | null>(null);
  const versions = useSignal<TemplateVersion[] | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    Promise.all([getTemplate(props.id), listVersions(props.id)])
      .then(([t, v]) => {
        template.value = t;
        versions.value = v;
      })
      .catch((e: Error) => {
        error.value = e.message;
      });
  }, [props.id]);
  if (error.value)
    return (
      <p class="error" role="alert">
        {error.value}
      </p>
    );
  const t = template.value;
  if (!t || !versions.value) return <p aria-busy="true">Loading…</p>;
  const base = `/env/${encodeURIComponent(props.projectId)}/catalog/${encodeURIComponent(t.id)}`;
  const version = chosen(t, versions.value, props.revision);
  const icon = iconPath(t);
  const project = t.projectURL ? safeHref(t.projectURL) : null;
  return (
    <>
      <p>
        <Link href={`/env/${encodeURIComponent(props.projectId)}/catalog`}>Catalog</Link>
      </p>
      <h1 class="title-row">
        {icon ? <img src={icon} alt="" width={48} height={48} /> : null}
        {t.name ?? t.id} {t.state === "broken" ? <Badge value="broken" label="State" /> : null}
      </h1>
      <p>{t.description}</p>
      {t.transitioningMessage ? (
        <p class={t.state === "broken" ? "error" : "warning"}>{t.transitioningMessage}</p>
      ) : null}
      <dl class="fields">
        <div>
          <dt>Catalog</dt>
          <dd>{t.catalogId}</dd>
        </div>
        {t.maintainer ? (
          <div>
            <dt>Maintainer</dt>
            <dd>{t.maintainer}</dd>
          </div>
        ) : null}
        {t.license ? (
          <div>
            <dt>License</dt>
            <dd>{t.license}</dd>
          </div>
        ) : null}
        {project ? (
          <div>
            <dt>Project</dt>
            <dd>
              <a href={project} rel="noopener noreferrer nofollow" target="_blank">
                {t.projectURL}
              </a>
            </dd>
          </div>
        ) : null}
      </dl>
      <section aria-labelledby="versions">
        <h2 id="versions">Versions</h2>
        <ul class="versions">
          {versions.value.map((v) => (
            <li key={v.id}>
              {v === version ? (
                <strong aria-current="true">{v.version}</strong>
              ) : (
                <Link href={`${base}/${v.revision}`}>{v.version}</Link>
              )}
              {v.compatible ? null : <span class="muted"> (needs another server version)</span>}
            </li>
          ))}
        </ul>
      </section>
      {version ? (
        <>
          {version.readme ? (
            <section aria-labelledby="readme" class="readme">
              <h2 id="readme">README</h2>
              {renderMarkdown(version.readme)}
            </section>
          ) : null}
          <section aria-labelledby="launch">
            <h2 id="launch">Launch {version.version}</h2>
            <LaunchForm
              key={version.id}
              projectId={props.projectId}
              version={version}
              defaultName={t.folderName ?? ""}
            />
          </section>
        </>
      ) : (
        <p>{versions.value.length === 0 ? "This template has no usable version." : "No such version."}</p>
      )}
    </>
  );
}
