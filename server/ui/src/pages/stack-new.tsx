import { useSignal } from "@preact/signals";
import { api, projectPath } from "../api/client.ts";
import { tables } from "../api/live.ts";
import type { Stack } from "../api/types.ts";
import { ComposeFiles, submitCompose, useComposeState } from "../components/compose-files.tsx";
import { navigate } from "../router.ts";

/** Adds a stack from pasted or uploaded docker-compose.yml and rancher-compose.yml. */
export function StackNewPage(props: { projectId: string }) {
  const state = useComposeState();
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    busy.value = true;
    await submitCompose(state, async () => {
      const stack = await api.create<Stack>(projectPath(props.projectId, "stacks"), {
        name: String(form.get("name") ?? "").trim(),
        description: String(form.get("description") ?? "").trim() || undefined,
        dockerCompose: state.docker.value,
        rancherCompose: state.rancher.value || undefined,
        startOnCreate: true,
      });
      tables.stack.upsert(stack);
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`);
    });
    busy.value = false;
  };
  return (
    <>
      <h1>Add stack</h1>
      <form class="stack-form" onSubmit={submit}>
        <label>
          Name
          <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
        </label>
        <label>
          Description
          <input name="description" />
        </label>
        <ComposeFiles state={state} />
        <button type="submit" disabled={busy.value}>
          Create
        </button>
      </form>
    </>
  );
}
