/**
 * The shell's terminal (xterm.js and its fit addon), in a chunk of its own fetched the first time a
 * shell opens. It speaks the exec stream's control subprotocol (server/src/http/stream-control.ts):
 * keystrokes go out as binary frames, the container's output comes back as binary frames, and
 * every change of the terminal's size goes out as `{"resize": {"cols", "rows"}}`.
 */
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { execControlProtocol, refusalOf, resizeMessage } from "./exec-frames.ts";

/** What an open shell reports to the page. */
export interface ShellEvents {
  /** The connection's state in words: "connecting", "connected", "ended: exit 0"... */
  status(text: string): void;
  /** The terminal's size changed (also once at the start). */
  size(cols: number, rows: number): void;
  /** The server refused a control message (it keeps the stream going). */
  refused(reason: string): void;
}

/** An open shell: `fit` sizes the terminal to its box again, `close` ends it and frees the box. */
export interface Shell {
  fit(): void;
  close(): void;
}

/** Opens a terminal in `box` and connects it to the exec stream at `url` (a hostAccess URL). */
export function openShell(box: HTMLElement, url: string, events: ShellEvents): Shell {
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    fontSize: 14,
    scrollback: 5000,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const dropStyles = openWithoutInlineStyles(term, box);
  fit.fit();
  events.size(term.cols, term.rows);

  const ws = new WebSocket(url, [execControlProtocol]);
  ws.binaryType = "arraybuffer";
  const encoder = new TextEncoder();
  const send = (data: string | Uint8Array<ArrayBuffer>) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data);
  };
  const sendSize = () => {
    const text = resizeMessage(term.cols, term.rows);
    if (text) send(text);
  };
  events.status("connecting");
  ws.onopen = () => {
    // A browser drops a socket whose answer names no subprotocol, so here the server has chosen it.
    events.status("connected");
    sendSize();
    term.focus();
  };
  ws.onmessage = (m) => {
    if (typeof m.data !== "string") term.write(new Uint8Array(m.data as ArrayBuffer));
    else events.refused(refusalOf(m.data));
  };
  ws.onclose = (e) => {
    events.status(`ended${e.reason ? `: ${e.reason}` : ""}`);
    term.write("\r\n\x1b[2m[the shell ended]\x1b[0m\r\n");
  };
  const typed = term.onData((text) => send(encoder.encode(text)));
  // Mouse reports in some modes come as bytes, not text.
  const binary = term.onBinary((bytes) => send(Uint8Array.from(bytes, (c) => c.charCodeAt(0))));
  const resized = term.onResize(({ cols, rows }) => {
    events.size(cols, rows);
    sendSize();
  });
  const observer = new ResizeObserver(() => fit.fit());
  observer.observe(box);
  return {
    fit: () => fit.fit(),
    close() {
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      resized.dispose();
      ws.onclose = null;
      ws.close();
      term.dispose();
      dropStyles();
    },
  };
}

/**
 * Opens the terminal without `<style>` elements: xterm writes its sizes and colours into style
 * elements it creates while it opens, which the server's CSP (no inline style) refuses. While it
 * opens, `createElement("style")` answers an inert `<template>` whose text goes to a constructed
 * stylesheet adopted by the document instead (what CSP allows, as CodeMirror does). Returns what
 * takes those sheets away again.
 */
function openWithoutInlineStyles(term: Terminal, box: HTMLElement): () => void {
  const doc = box.ownerDocument;
  const sheets: CSSStyleSheet[] = [];
  const create = doc.createElement;
  const standIn = (tag: string, options?: ElementCreationOptions): HTMLElement => {
    if (tag.toLowerCase() !== "style") return create.call(doc, tag, options);
    const sheet = new CSSStyleSheet();
    sheets.push(sheet);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    const element = create.call(doc, "template");
    let text = "";
    Object.defineProperty(element, "textContent", {
      get: () => text,
      set: (value: string | null) => {
        text = value ?? "";
        sheet.replaceSync(text);
      },
    });
    return element;
  };
  doc.createElement = standIn as typeof doc.createElement;
  try {
    term.open(box);
  } finally {
    // The own property goes; Document.prototype's method shows through again.
    delete (doc as { createElement?: unknown }).createElement;
  }
  return () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => !sheets.includes(s));
  };
}
