import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import { tables } from "../api/live.ts";
import { ActionButtons, type ActionSpec } from "../components/action-buttons.tsx";
import { Badge } from "../components/badge.tsx";
import { CatalogUpgradeNotice } from "../components/catalog-upgrade-notice.tsx";
import { Link } from "../components/link.tsx";
import { ServiceTable } from "../components/service-row.tsx";
import { navigate } from "../router.ts";

interface Exported {
  dockerComposeConfig: string;
  rancherComposeConfig: string;
}

/** Offers a text as a file download (a blob URL: no round trip, nothing inline). */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The upgrade's ending actions, offered while the stack is upgrading or upgraded. */
const upgradeSpecs: ActionSpec[] = [
  { action: "finishupgrade", verb: "Finish upgrade" },
  { action: "rollback", verb: "Roll back" },
];

/** One stack: its services, upgrade (finish, roll back), the export of its config, and remove. */
export function StackDetailPage(props: { projectId: string; id: string }) {
  const exported = useSignal<Exported | null>(null);
  const error = useSignal<string | null>(null);
  const stack = tables.stack.row(props.id)?.value;
  if (!stack)
    return tables.stack.loaded.value ? <p>Stack {props.id} not found.</p> : <p aria-busy="true">Loading…</p>;
  const run = async (f: () => Promise<void>) => {
    error.value = null;
    try {
      await f();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  };
  const exportConfig = () =>
    run(async () => {
      exported.value = await api.action<Exported>(stack, "exportconfig");
    });
  const remove = () =>
    run(async () => {
      if (!confirm(`Remove stack ${stack.name} and its services?`)) return;
      await api.action(stack, "remove");
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks`);
    });
  return (
    <>
      <h1>
        Stack {stack.name} <Badge value={stack.state} label="State" />{" "}
        <Badge value={stack.healthState} label="Health" />
      </h1>
      <CatalogUpgradeNotice projectId={props.projectId} stack={stack} />
      <div class="actions">
        {stack.actions.upgrade ? (
          <Link
            href={`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}/upgrade`}
          >
            Upgrade
          </Link>
        ) : null}
        <ActionButtons resource={stack} specs={upgradeSpecs} />
        <button type="button" onClick={() => void exportConfig()} disabled={!stack.actions.exportconfig}>
          Export config
        </button>
        <button type="button" class="danger" onClick={() => void remove()} disabled={!stack.actions.remove}>
          Remove
        </button>
      </div>
      {error.value ? (
        <p class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      <ServiceTable stackId={stack.id} />
      {exported.value ? (
        <section aria-label="Exported config" class="export">
          {(
            [
              ["docker-compose.yml", exported.value.dockerComposeConfig],
              ["rancher-compose.yml", exported.value.rancherComposeConfig],
            ] as const
          ).map(([name, text]) => (
            <div key={name}>
              <h2>
                {name}{" "}
                <button type="button" onClick={() => download(name, text)}>
                  Download {name}
                </button>
              </h2>
              <pre data-testid={name}>{text}</pre>
            </div>
          ))}
        </section>
      ) : null}
    </>
  );
}
