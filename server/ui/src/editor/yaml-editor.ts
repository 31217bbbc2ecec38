/**
 * The compose file editor: CodeMirror 6 with YAML highlighting and the syntax problems marked in
 * the text. Loaded on demand (a dynamic import: its own chunk), so a first load does not pay for it.
 */
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { defaultHighlightStyle, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, linter } from "@codemirror/lint";
import { Compartment, EditorSelection, EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import type { ComposeIssue } from "../api/types.ts";
import { yamlIssues } from "./yaml-check.ts";

export { yamlIssues };

/** The editable element's attributes (aria-invalid changes with the problems found). */
const attrsCompartment = new Compartment();

/** What the page needs of a mounted editor. */
export interface YamlEditor {
  /** Replaces the text (a file was loaded); no-op when it is already the same. */
  setText(text: string): void;
  /** Puts the caret at a line and column and focuses the editor. */
  focusAt(line: number, column: number): void;
  /** Marks the content invalid (or not) for assistive technology. */
  setInvalid(invalid: boolean): void;
  destroy(): void;
}

/** How to mount: the editor's accessible name and description, and who hears every change. */
export interface YamlEditorOptions {
  /** The file name issues carry (`docker-compose.yml`). */
  file: string;
  /** The accessible name of the editable element (a label cannot reach into the shadow root). */
  label: string;
  /** The text of the problems list, as the editable element's description. */
  description(): string;
  text: string;
  onChange(text: string): void;
}

function diagnostics(state: EditorState, issues: ComposeIssue[]): Diagnostic[] {
  return issues.map((i) => {
    const line = state.doc.line(Math.min(Math.max(1, i.line), state.doc.lines));
    const from = Math.min(line.from + Math.max(0, i.column - 1), line.to);
    return { from, to: Math.max(from, line.to), severity: "error", message: i.message };
  });
}

/** The look of the editor (inside its shadow root the page's stylesheet does not apply). */
const look = EditorView.theme({
  "&": {
    border: "1px solid #8c959f",
    borderRadius: "4px",
    fontSize: "0.9rem",
    minHeight: "8rem",
    background: "#fff",
  },
  "&.cm-focused": { outline: "3px solid #0550ae", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: "ui-monospace, monospace", maxHeight: "24rem", minHeight: "8rem" },
  ".cm-gutters": { color: "#57606a", background: "#f6f8fa" },
});

/**
 * Mounts an editor into a shadow root of `host`, holding `options.text`. A shadow root because
 * CodeMirror then styles itself with a constructed stylesheet; in the document it would add a
 * `<style>` element, which the server's Content-Security-Policy (no inline styles) refuses.
 */
export function mountYamlEditor(host: HTMLElement, options: YamlEditorOptions): YamlEditor {
  const parent = host.shadowRoot ?? host.attachShadow({ mode: "open", delegatesFocus: true });
  const attrs = (invalid: boolean) =>
    EditorView.contentAttributes.of({
      "aria-label": options.label,
      "aria-description": invalid ? options.description() : "",
      "aria-multiline": "true",
      "aria-invalid": String(invalid),
      spellcheck: "false",
    });
  let invalid = false;
  const view = new EditorView({
    parent,
    root: parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        lineNumbers(),
        history(),
        // No Tab binding: Tab keeps moving focus out of the editor (keyboard users are not trapped).
        keymap.of([...defaultKeymap, ...historyKeymap]),
        indentUnit.of("  "),
        yaml(),
        look,
        syntaxHighlighting(defaultHighlightStyle),
        linter((v) => diagnostics(v.state, yamlIssues(options.file, v.state.doc.toString())), { delay: 300 }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) options.onChange(u.state.doc.toString());
        }),
        attrsCompartment.of(attrs(invalid)),
      ],
    }),
  });
  return {
    setText(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focusAt(line, column) {
      const l = view.state.doc.line(Math.min(Math.max(1, line), view.state.doc.lines));
      const pos = Math.min(l.from + Math.max(0, column - 1), l.to);
      view.dispatch({ selection: EditorSelection.cursor(pos), scrollIntoView: true });
      view.focus();
    },
    setInvalid(next) {
      if (next === invalid) return;
      invalid = next;
      view.dispatch({ effects: attrsCompartment.reconfigure(attrs(invalid)) });
    },
    destroy: () => view.destroy(),
  };
}
