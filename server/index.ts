/** The Corral server: API on :8080, store, agent hub. */
export { resetAdminInFolder } from "./src/admin-password.ts";
export { type BootstrapResult, defaultRegistrationToken } from "./src/bootstrap.ts";
export { defaultTimings, type LivenessTimings } from "./src/hub/liveness.ts";
export { type RunningServer, type ServerOptions, startServer } from "./src/server.ts";
