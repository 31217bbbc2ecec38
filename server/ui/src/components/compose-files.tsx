import { type Signal, useSignal } from "@preact/signals";
import { ApiError } from "../api/client.ts";
import type { ComposeIssue } from "../api/types.ts";
import { focusIssue, YamlField } from "./yaml-field.tsx";

const ids = { "docker-compose.yml": "compose-docker", "rancher-compose.yml": "compose-rancher" } as const;
type File = keyof typeof ids;

/** The issues of a 422 answer, when it carries the compose parser's file:line:column list. */
export function composeIssues(e: unknown): ComposeIssue[] {
  if (!(e instanceof ApiError) || !Array.isArray(e.detail)) return [];
  return (e.detail as ComposeIssue[]).filter((d) => d && typeof d.line === "number");
}

/** The two compose files being edited, the problems found while typing, and the server's answer. */
export interface ComposeState {
  docker: Signal<string>;
  rancher: Signal<string>;
  /** YAML syntax problems found in the browser, per file (before submit). */
  local: Signal<Record<string, ComposeIssue[]>>;
  /** The server's issues from the last submit. */
  server: Signal<ComposeIssue[]>;
  error: Signal<string | null>;
}

/** The state of a compose form, starting from the given texts. */
export function useComposeState(docker = "", rancher = ""): ComposeState {
  return {
    docker: useSignal(docker),
    rancher: useSignal(rancher),
    local: useSignal({}),
    server: useSignal([]),
    error: useSignal(null),
  };
}

/** Every problem known now: the browser's syntax check, then the server's answer. */
export function allIssues(s: ComposeState): ComposeIssue[] {
  return [...Object.values(s.local.value).flat(), ...s.server.value];
}

/** A file picker that loads the chosen file into a field (upload instead of paste). */
function LoadFile(props: { value: Signal<string>; label: string }) {
  const load = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) props.value.value = await file.text();
  };
  return (
    <label class="load-file">
      {props.label}
      <input type="file" accept=".yml,.yaml,text/yaml" onChange={(e) => void load(e)} />
    </label>
  );
}

/** The docker-compose.yml and rancher-compose.yml editors with their problems listed below. */
export function ComposeFiles(props: { state: ComposeState }) {
  const s = props.state;
  const issues = allIssues(s);
  const invalid = (file: File) => issues.some((i) => i.file === file);
  const onIssues = (file: string, found: ComposeIssue[]) => {
    s.local.value = { ...s.local.value, [file]: found };
  };
  const field = (file: File, value: Signal<string>, label: string, rows: number) => (
    <>
      <LoadFile value={value} label={`Load ${file} from a file`} />
      <YamlField
        file={file}
        id={ids[file]}
        label={label}
        value={value}
        onIssues={onIssues}
        invalid={invalid(file)}
        describedBy="compose-errors"
        rows={rows}
      />
    </>
  );
  return (
    <>
      {field("docker-compose.yml", s.docker, "docker-compose.yml", 14)}
      {field("rancher-compose.yml", s.rancher, "rancher-compose.yml (optional)", 8)}
      <div id="compose-errors" role="alert">
        {s.error.value && issues.length === 0 ? <p class="error">{s.error.value}</p> : null}
        {issues.length > 0 ? (
          <ul class="issues">
            {issues.map((i) => (
              <li key={`${i.file}:${i.line}:${i.column}:${i.message}`}>
                <button
                  type="button"
                  class="link-button"
                  onClick={() => ids[i.file as File] && focusIssue(ids[i.file as File], i)}
                >
                  {i.file}:{i.line}:{i.column}
                </button>{" "}
                {i.path ? <code>{i.path}</code> : null} {i.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </>
  );
}

/**
 * Sends a compose form: refused in the browser while the YAML has syntax problems (the caret goes
 * to the first), else `send` runs and a refusal's issues are listed. Answers whether it went through.
 */
export async function submitCompose(s: ComposeState, send: () => Promise<void>): Promise<boolean> {
  const local = Object.values(s.local.value).flat();
  s.error.value = null;
  s.server.value = [];
  if (local[0]) {
    focusIssue(ids[local[0].file as File], local[0]);
    return false;
  }
  try {
    await send();
    return true;
  } catch (err) {
    s.server.value = composeIssues(err);
    s.error.value = err instanceof Error ? err.message : String(err);
    return false;
  }
}
