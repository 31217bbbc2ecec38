import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import { tables } from "../api/live.ts";
import type { Stack } from "../api/types.ts";
import { ComposeFiles, submitCompose, useComposeState } from "../components/compose-files.tsx";
import { navigate } from "../router.ts";

/** The compose form of an upgrade, opened with the stack's current files. */
function UpgradeForm(props: { projectId: string; stack: Stack }) {
  const state = useComposeState(props.stack.dockerCompose ?? "", props.stack.rancherCompose ?? "");
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    await submitCompose(state, async () => {
      await api.action(props.stack, "upgrade", {
        dockerCompose: state.docker.value,
        rancherCompose: state.rancher.value,
      });
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(props.stack.id)}`);
    });
    busy.value = false;
  };
  return (
    <form class="stack-form" onSubmit={submit}>
      <ComposeFiles state={state} />
      <button type="submit" disabled={busy.value || !props.stack.actions.upgrade}>
        Upgrade
      </button>
    </form>
  );
}

/** Upgrades a stack by editing its compose files: changed services upgrade, new ones are added. */
export function StackUpgradePage(props: { projectId: string; id: string }) {
  const stack = tables.stack.row(props.id)?.value;
  if (!stack)
    return tables.stack.loaded.value ? <p>Stack {props.id} not found.</p> : <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>Upgrade stack {stack.name}</h1>
      <UpgradeForm projectId={props.projectId} stack={stack} />
    </>
  );
}
