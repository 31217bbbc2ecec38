import { useSignal } from "@preact/signals";
import { ApiError, api, projectPath } from "../api/client.ts";
import { tables } from "../api/live.ts";
import type { ComposeIssue, Stack } from "../api/types.ts";
import { navigate } from "../router.ts";

const files = { "docker-compose.yml": "compose-docker", "rancher-compose.yml": "compose-rancher" } as const;

/** The issues of a 422 answer, when it carries the compose parser's file:line:column list. */
export function composeIssues(e: unknown): ComposeIssue[] {
  if (!(e instanceof ApiError) || !Array.isArray(e.detail)) return [];
  return (e.detail as ComposeIssue[]).filter((d) => d && typeof d.line === "number");
}

/** Puts the caret on a line and column of a textarea, so the user lands on the problem. */
function showAt(issue: ComposeIssue): void {
  const id = files[issue.file as keyof typeof files];
  const area = id ? (document.getElementById(id) as HTMLTextAreaElement | null) : null;
  if (!area) return;
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < issue.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  const lineEnd = offset + (lines[issue.line - 1]?.length ?? 0);
  area.focus();
  area.setSelectionRange(Math.min(offset + Math.max(0, issue.column - 1), lineEnd), lineEnd);
}

/** A file picker that loads the chosen file into a textarea (upload instead of paste). */
function LoadFile(props: { target: string; label: string }) {
  const load = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    const area = document.getElementById(props.target) as HTMLTextAreaElement | null;
    if (file && area) area.value = await file.text();
  };
  return (
    <label class="load-file">
      {props.label}
      <input type="file" accept=".yml,.yaml,text/yaml" onChange={(e) => void load(e)} />
    </label>
  );
}

/** Adds a stack from pasted docker-compose.yml and rancher-compose.yml; the parser's errors are listed. */
export function StackNewPage(props: { projectId: string }) {
  const error = useSignal<string | null>(null);
  const issues = useSignal<ComposeIssue[]>([]);
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const body = {
      name: String(form.get("name") ?? "").trim(),
      description: String(form.get("description") ?? "").trim() || undefined,
      dockerCompose: String(form.get("dockerCompose") ?? ""),
      rancherCompose: String(form.get("rancherCompose") ?? "") || undefined,
      startOnCreate: true,
    };
    busy.value = true;
    error.value = null;
    issues.value = [];
    try {
      const stack = await api.create<Stack>(projectPath(props.projectId, "stacks"), body);
      tables.stack.upsert(stack);
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`);
    } catch (err) {
      issues.value = composeIssues(err);
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      busy.value = false;
    }
  };
  const invalid = (file: string) => issues.value.some((i) => i.file === file);
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
        <label for={files["docker-compose.yml"]}>docker-compose.yml</label>
        <LoadFile target={files["docker-compose.yml"]} label="Load docker-compose.yml from a file" />
        <textarea
          id={files["docker-compose.yml"]}
          name="dockerCompose"
          rows={14}
          spellcheck={false}
          required
          aria-invalid={invalid("docker-compose.yml")}
          aria-describedby="compose-errors"
        />
        <label for={files["rancher-compose.yml"]}>rancher-compose.yml (optional)</label>
        <LoadFile target={files["rancher-compose.yml"]} label="Load rancher-compose.yml from a file" />
        <textarea
          id={files["rancher-compose.yml"]}
          name="rancherCompose"
          rows={8}
          spellcheck={false}
          aria-invalid={invalid("rancher-compose.yml")}
          aria-describedby="compose-errors"
        />
        <div id="compose-errors" role="alert">
          {error.value && issues.value.length === 0 ? <p class="error">{error.value}</p> : null}
          {issues.value.length > 0 ? (
            <ul class="issues">
              {issues.value.map((i) => (
                <li key={`${i.file}:${i.line}:${i.column}:${i.message}`}>
                  <button type="button" class="link-button" onClick={() => showAt(i)}>
                    {i.file}:{i.line}:{i.column}
                  </button>{" "}
                  {i.path ? <code>{i.path}</code> : null} {i.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <button type="submit" disabled={busy.value}>
          Create
        </button>
      </form>
    </>
  );
}
