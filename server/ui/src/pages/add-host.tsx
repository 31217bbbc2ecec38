import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath } from "../api/client.ts";
import type { RegistrationToken } from "../api/types.ts";

/** "Add host": the registration command of the environment's token, to run on the new host. */
export function AddHostPage(props: { projectId: string }) {
  const token = useSignal<RegistrationToken | null>(null);
  const error = useSignal<string | null>(null);
  const copied = useSignal(false);
  useEffect(() => {
    const path = projectPath(props.projectId, "registrationtokens");
    (async () => {
      const active = (await api.list<RegistrationToken>(path)).find((t) => t.state === "active");
      token.value = active ?? (await api.create<RegistrationToken>(path, {}));
    })().catch((e) => {
      error.value = e instanceof Error ? e.message : String(e);
    });
  }, [props.projectId]);
  const copy = async () => {
    if (!token.value) return;
    await navigator.clipboard.writeText(token.value.command);
    copied.value = true;
  };
  return (
    <>
      <h1>Add host</h1>
      <p>
        Run this as root on a Linux machine with Docker (or CorralOS). The host joins this environment and
        appears on the Hosts page.
      </p>
      {error.value ? (
        <p class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      {token.value ? (
        <>
          <pre class="command" data-testid="registration-command">
            {token.value.command}
          </pre>
          <button type="button" onClick={() => void copy()}>
            Copy command
          </button>{" "}
          <span role="status">{copied.value ? "Copied." : ""}</span>
        </>
      ) : error.value ? null : (
        <p aria-busy="true">Loading…</p>
      )}
    </>
  );
}
