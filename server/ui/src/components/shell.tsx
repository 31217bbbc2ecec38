import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api } from "../api/client.ts";
import type { Container } from "../api/types.ts";
import { commandWords } from "../terminal/exec-frames.ts";
import type { Shell } from "../terminal/shell-terminal.ts";
import { ErrorLine, message } from "./feedback.tsx";

let terminalModule: Promise<typeof import("../terminal/shell-terminal.ts")> | null = null;

/** The terminal module (xterm.js), fetched once, the first time a shell opens. */
export function loadTerminal(): Promise<typeof import("../terminal/shell-terminal.ts")> {
  terminalModule ??= import("../terminal/shell-terminal.ts");
  // A failed fetch (the server restarted with a new build) may be tried again later.
  terminalModule.catch(() => {
    terminalModule = null;
  });
  return terminalModule;
}

/**
 * A shell in the container: the `execute` action with a terminal grants a one-use websocket, and
 * an xterm.js terminal (loaded on demand) types into it and shows what comes back, sized to its
 * box (a resize follows the window).
 */
export function ShellPanel(props: { container: Container }) {
  const command = useSignal("/bin/sh");
  const status = useSignal("not started");
  const size = useSignal<{ cols: number; rows: number } | null>(null);
  const error = useSignal<string | null>(null);
  const open = useSignal(false);
  const box = useRef<HTMLDivElement>(null);
  const shell = useRef<Shell | null>(null);

  const stop = () => {
    if (shell.current) status.value = "closed";
    shell.current?.close();
    shell.current = null;
    open.value = false;
    size.value = null;
  };
  useEffect(() => stop, []);

  const start = async () => {
    stop();
    error.value = null;
    const words = commandWords(command.value);
    if (words.length === 0) {
      error.value = "Enter the command to run, such as /bin/sh.";
      return;
    }
    status.value = "starting";
    try {
      const [m, access] = await Promise.all([
        loadTerminal(),
        api.action<{ url: string }>(props.container, "execute", {
          command: words,
          tty: true,
          attachStdin: true,
          attachStdout: true,
        }),
      ]);
      open.value = true;
      const el = box.current;
      if (!el) return;
      el.replaceChildren();
      shell.current = m.openShell(el, access.url, {
        status: (text) => {
          status.value = text;
        },
        size: (cols, rows) => {
          size.value = { cols, rows };
        },
        refused: (reason) => {
          error.value = `The server refused a terminal message: ${reason}`;
        },
      });
      // xterm.js draws only while its box is on screen; the user wants to see the shell anyway.
      el.scrollIntoView({ block: "nearest" });
    } catch (e) {
      status.value = "not started";
      error.value = message(e);
    }
  };
  const canExec = Boolean(props.container.actions.execute);
  return (
    <section aria-labelledby="shell-title" class="shell">
      <h2 id="shell-title">Shell</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          Command
          <input
            type="text"
            value={command.value}
            spellcheck={false}
            autocomplete="off"
            onInput={(e) => {
              command.value = (e.currentTarget as HTMLInputElement).value;
            }}
          />
        </label>
        <button type="submit" disabled={!canExec}>
          {open.value ? "Restart shell" : "Open shell"}
        </button>
        {open.value ? (
          <button type="button" onClick={stop}>
            Close shell
          </button>
        ) : null}
        <span role="status" data-testid="shell-status">
          {status.value}
          {size.value ? ` (${size.value.cols}×${size.value.rows})` : ""}
        </span>
      </form>
      <ErrorLine text={error.value} />
      <div
        ref={box}
        class="shell-box"
        data-testid="shell"
        data-cols={size.value?.cols}
        data-rows={size.value?.rows}
      />
    </section>
  );
}
