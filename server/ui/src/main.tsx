/** The web UI's entry: styles, the session check, then the app rendered into `#app`. */
import "./style.css";
import { render } from "preact";
import { App } from "./app.tsx";
import { loadSession } from "./session.ts";

void loadSession();
render(<App />, document.getElementById("app")!);
