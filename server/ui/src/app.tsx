import { signal } from "@preact/signals";
import { signedOut } from "./api/client.ts";
import { follow, stopFollowing, tables } from "./api/live.ts";
import { Layout } from "./components/layout.tsx";
import { AddHostPage } from "./pages/add-host.tsx";
import { CatalogRoute } from "./pages/catalog.tsx";
import { CertificatesPage } from "./pages/certificates.tsx";
import { ContainerDetailPage } from "./pages/container-detail.tsx";
import { ContainersPage } from "./pages/containers.tsx";
import { HostsPage } from "./pages/hosts.tsx";
import { LbRulesPage } from "./pages/lb-rules.tsx";
import { LoginPage } from "./pages/login.tsx";
import { ServiceUpgradePage } from "./pages/service-upgrade.tsx";
import { StackDetailPage } from "./pages/stack-detail.tsx";
import { StackNewPage } from "./pages/stack-new.tsx";
import { StackUpgradePage } from "./pages/stack-upgrade.tsx";
import { StacksPage } from "./pages/stacks.tsx";
import { match, navigate, type Params, path } from "./router.ts";
import { ready } from "./session.ts";

type Page = (p: Params & { projectId: string }) => preact.JSX.Element;

type AdminPages = typeof import("./pages/admin.ts");
const adminPages = signal<AdminPages | null>(null);
let adminRequested = false;

/** An administration page, from its chunk (fetched the first time one is opened). */
function admin(render: (m: AdminPages) => preact.JSX.Element): preact.JSX.Element {
  const loaded = adminPages.value;
  if (loaded) return render(loaded);
  if (!adminRequested) {
    adminRequested = true;
    void import("./pages/admin.ts").then((m) => {
      adminPages.value = m;
    });
  }
  return <p aria-busy="true">Loading…</p>;
}

const routes: [string, Page][] = [
  ["/env/:projectId/stacks", (p) => <StacksPage projectId={p.projectId} />],
  ["/env/:projectId/stacks/new", (p) => <StackNewPage projectId={p.projectId} />],
  ["/env/:projectId/stacks/:id", (p) => <StackDetailPage projectId={p.projectId} id={p.id!} />],
  ["/env/:projectId/stacks/:id/upgrade", (p) => <StackUpgradePage projectId={p.projectId} id={p.id!} />],
  ["/env/:projectId/services/:id/upgrade", (p) => <ServiceUpgradePage projectId={p.projectId} id={p.id!} />],
  ["/env/:projectId/containers", (p) => <ContainersPage projectId={p.projectId} />],
  ["/env/:projectId/containers/:id", (p) => <ContainerDetailPage projectId={p.projectId} id={p.id!} />],
  ["/env/:projectId/services/:id/rules", (p) => <LbRulesPage projectId={p.projectId} id={p.id!} />],
  ["/env/:projectId/certificates", (p) => <CertificatesPage projectId={p.projectId} />],
  ["/env/:projectId/hosts", (p) => <HostsPage projectId={p.projectId} />],
  ["/env/:projectId/hosts/add", (p) => <AddHostPage projectId={p.projectId} />],
  ["/env/:projectId/api-keys", (p) => admin((m) => <m.ApiKeysPage projectId={p.projectId} />)],
  ["/env/:projectId/audit-log", (p) => admin((m) => <m.AuditLogPage projectId={p.projectId} />)],
  ["/env/:projectId/environments", (p) => admin((m) => <m.EnvironmentsPage projectId={p.projectId} />)],
  ["/env/:projectId/members", (p) => admin((m) => <m.MembersPage projectId={p.projectId} />)],
  ["/env/:projectId/registries", (p) => admin((m) => <m.RegistriesPage projectId={p.projectId} />)],
  ["/env/:projectId/secrets", (p) => admin((m) => <m.SecretsPage projectId={p.projectId} />)],
  ["/env/:projectId/webhooks", (p) => admin((m) => <m.WebhooksPage projectId={p.projectId} />)],
  ["/env/:projectId/catalog", (p) => <CatalogRoute view="browse" projectId={p.projectId} />],
  ["/env/:projectId/catalog/:id", (p) => <CatalogRoute view="template" projectId={p.projectId} id={p.id!} />],
  [
    "/env/:projectId/catalog/:id/:rev",
    (p) => <CatalogRoute view="template" projectId={p.projectId} id={p.id!} revision={p.rev} />,
  ],
  [
    "/env/:projectId/stacks/:id/catalog-upgrade",
    (p) => <CatalogRoute view="upgrade" projectId={p.projectId} id={p.id!} />,
  ],
];

/** The app: the login page when signed out, else the page the path names inside its environment. */
export function App() {
  if (signedOut.value) {
    stopFollowing();
    return <LoginPage />;
  }
  if (!ready.value) return <p aria-busy="true">Loading…</p>;
  const at = path.value;
  for (const [pattern, page] of routes) {
    const params = match(pattern, at);
    if (!params?.projectId) continue;
    if (!tables.project.row(params.projectId)) break;
    follow(params.projectId);
    return <Layout projectId={params.projectId}>{page(params as Params & { projectId: string })}</Layout>;
  }
  // `/`, `/login` once signed in, an unknown path or environment: the first environment's stacks.
  const first = tables.project.ids.value[0];
  if (!first) return <p>No environment is visible to this account.</p>;
  queueMicrotask(() => navigate(`/env/${encodeURIComponent(first)}/stacks`, true));
  return null;
}
