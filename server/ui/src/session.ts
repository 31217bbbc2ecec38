import { signal } from "@preact/signals";
import { api, request, signedOut } from "./api/client.ts";
import { stopFollowing, tables } from "./api/live.ts";
import type { Project } from "./api/types.ts";
import { navigate } from "./router.ts";

/** Set once the environments were loaded (the user is signed in). */
export const ready = signal(false);

/** Loads the environments the caller may see; a 401 shows the login page instead. */
export async function loadSession(): Promise<void> {
  try {
    tables.project.replace(await api.list<Project>("/v2-beta/projects"));
    signedOut.value = false;
    ready.value = true;
  } catch {
    ready.value = false;
  }
}

/**
 * Reads the environments again (the event stream follows one environment, so one made elsewhere
 * is not announced): the switcher calls it when it gets focus, before its list opens.
 */
export async function refreshProjects(): Promise<void> {
  tables.project.replace(await api.list<Project>("/v2-beta/projects"));
}

/** Logs in with a username and password: the server sets the session and CSRF cookies. */
export async function login(username: string, password: string): Promise<void> {
  await request("POST", "/v2-beta/token", { username, password });
  await loadSession();
  // A deep link that led to the login page is shown once logged in; `/login` itself goes home.
  if (ready.value && location.pathname === "/login") navigate("/", true);
}

/** Ends the session on the server, forgets what was loaded, and shows the login page. */
export async function logout(): Promise<void> {
  try {
    await request("DELETE", "/v2-beta/token/current");
  } finally {
    stopFollowing();
    for (const table of Object.values(tables)) table.clear();
    ready.value = false;
    signedOut.value = true;
    navigate("/login");
  }
}
