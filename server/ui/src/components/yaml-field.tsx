import { type Signal, useSignal, useSignalEffect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { ComposeIssue } from "../api/types.ts";
import type { YamlEditor } from "../editor/yaml-editor.ts";

/** The mounted editors by element id, so an issue's link can put the caret on its line. */
const editors = new Map<string, YamlEditor>();

/** The editor chunk, loaded once on first use (a dynamic import: not part of the first load). */
let editorModule: Promise<typeof import("../editor/yaml-editor.ts")> | null = null;
/** Loads the editor chunk (also to warm it before the form is shown). */
export function loadEditor(): Promise<typeof import("../editor/yaml-editor.ts")> {
  editorModule ??= import("../editor/yaml-editor.ts");
  return editorModule;
}

/** Puts the caret at an issue's line and column in the field showing that file. */
export function focusIssue(id: string, issue: ComposeIssue): void {
  const editor = editors.get(id);
  if (editor) {
    editor.focusAt(issue.line, issue.column);
    return;
  }
  const area = document.getElementById(id) as HTMLTextAreaElement | null;
  if (!area) return;
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < issue.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  area.focus();
  area.setSelectionRange(
    offset + Math.max(0, issue.column - 1),
    offset + (lines[issue.line - 1]?.length ?? 0),
  );
}

/** What a YAML field shows and reports. */
export interface YamlFieldProps {
  /** The file name the issues carry (`docker-compose.yml`). */
  file: string;
  id: string;
  label: string;
  value: Signal<string>;
  /** Set to the syntax problems found as the user types (before any submit). */
  onIssues(file: string, issues: ComposeIssue[]): void;
  invalid: boolean;
  describedBy: string;
  rows: number;
}

/**
 * A compose file field: a plain textarea until the CodeMirror chunk has loaded (and if it never
 * does), then the editor, holding the same text. The YAML is checked as it changes.
 */
export function YamlField(props: YamlFieldProps) {
  const host = useRef<HTMLDivElement>(null);
  const labelId = `${props.id}-label`;
  const mounted = useRef<YamlEditor | null>(null);
  const ready = useSignal(false);
  useEffect(() => {
    let gone = false;
    void loadEditor().then((m) => {
      if (gone || !host.current) return;
      const editor = m.mountYamlEditor(host.current, {
        file: props.file,
        label: props.label,
        description: () => document.getElementById(props.describedBy)?.textContent ?? "",
        text: props.value.peek(),
        onChange: (text) => {
          props.value.value = text;
        },
      });
      mounted.current = editor;
      editors.set(props.id, editor);
      ready.value = true;
    });
    return () => {
      gone = true;
      mounted.current?.destroy();
      editors.delete(props.id);
    };
  }, []);
  // A file loaded from disk (or any outside change) reaches the editor; then the text is checked.
  useSignalEffect(() => {
    const text = props.value.value;
    mounted.current?.setText(text);
    let stale = false;
    const timer = setTimeout(() => {
      void loadEditor().then((m) => {
        if (!stale) props.onIssues(props.file, m.yamlIssues(props.file, text));
      });
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  });
  mounted.current?.setInvalid(props.invalid);
  return (
    <>
      {ready.value ? (
        // The editor names itself (aria-label): a label's `for` cannot reach into its shadow root.
        <span id={labelId} class="field-label" aria-hidden="true">
          {props.label}
        </span>
      ) : (
        <label id={labelId} for={props.id}>
          {props.label}
        </label>
      )}
      <div
        ref={host}
        id={ready.value ? props.id : undefined}
        class="yaml-editor"
        data-file={props.file}
        hidden={!ready.value}
      />
      {ready.value ? null : (
        <textarea
          id={props.id}
          rows={props.rows}
          spellcheck={false}
          value={props.value.value}
          onInput={(e) => {
            props.value.value = (e.currentTarget as HTMLTextAreaElement).value;
          }}
          aria-invalid={props.invalid}
          aria-describedby={props.describedBy}
        />
      )}
    </>
  );
}
