/** The web UI package: its build (the browser code under src/ is reached only through the bundle). */
export { buildUi, type UiBuild, uiDist } from "./build.ts";
