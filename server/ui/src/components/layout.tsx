import type { ComponentChildren } from "preact";
import { liveState, tables } from "../api/live.ts";
import { navigate } from "../router.ts";
import { logout, refreshProjects } from "../session.ts";
import { Link } from "./link.tsx";

/** The frame of every signed-in page: environment switcher, navigation, live state, logout. */
export function Layout(props: { projectId: string; children: ComponentChildren }) {
  const { projectId } = props;
  const base = `/env/${encodeURIComponent(projectId)}`;
  const switchTo = (e: Event) => {
    const id = (e.currentTarget as HTMLSelectElement).value;
    navigate(`/env/${encodeURIComponent(id)}/stacks`);
  };
  return (
    <>
      <header class="top">
        <span class="brand">Corral</span>
        <label class="env">
          <span class="visually-hidden">Environment</span>
          <select
            value={projectId}
            onChange={switchTo}
            onFocus={() => void refreshProjects().catch(() => undefined)}
            aria-label="Environment"
          >
            {tables.project.ids.value.map((id) => (
              <option key={id} value={id}>
                {tables.project.row(id)!.value.name ?? id}
              </option>
            ))}
          </select>
        </label>
        <nav aria-label="Main">
          <Link href={`${base}/stacks`}>Stacks</Link>
          <Link href={`${base}/containers`}>Containers</Link>
          <Link href={`${base}/hosts`}>Hosts</Link>
          <Link href={`${base}/certificates`}>Certificates</Link>
          <Link href={`${base}/catalog`}>Catalog</Link>
          <Link href={`${base}/registries`}>Registries</Link>
          <Link href={`${base}/secrets`}>Secrets</Link>
          <Link href={`${base}/webhooks`}>Webhooks</Link>
          <Link href={`${base}/members`}>Members</Link>
          <Link href={`${base}/environments`}>Environments</Link>
          <Link href={`${base}/api-keys`}>API keys</Link>
          <Link href={`${base}/audit-log`}>Audit log</Link>
        </nav>
        <span class={`live live-${liveState.value}`} role="status">
          {liveState.value}
        </span>
        <button type="button" class="link-button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
