/** The web UI's entry: styles, the session check, then the app rendered into `#app`. */
// uPlot's few rules go into the one stylesheet; its script loads only with the first graph.
import "uplot/dist/uPlot.min.css";
// The same for xterm.js: its rules here, its script only when a shell opens.
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import { render } from "preact";
import { follow } from "./api/live.ts";
import { App } from "./app.tsx";
import { currentProject } from "./router.ts";
import { loadSession } from "./session.ts";

void loadSession();
// A deep link's environment is loaded beside the session check, not after it (the app follows
// the same environment once the session is known; a signed-out visit stops following).
if (currentProject()) follow(currentProject());
render(<App />, document.getElementById("app")!);
