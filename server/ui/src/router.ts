import { signal } from "@preact/signals";

/** The current path (client-side routing with the History API; the server answers index.html). */
export const path = signal(location.pathname);

/** Goes to another page of the app without a reload. */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  path.value = location.pathname;
  document.getElementById("main")?.focus();
}

addEventListener("popstate", () => {
  path.value = location.pathname;
});

/** The parts of a matched route. */
export type Params = Record<string, string>;

/** Matches a path against a pattern like `/env/:pid/stacks/:id`; null when it does not fit. */
export function match(pattern: string, at: string): Params | null {
  const want = pattern.split("/");
  const got = at.replace(/\/+$/, "").split("/");
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (!g) return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

/** An app link: a real `<a href>` (keyboard, new tab) that navigates in place on a plain click. */
export function onLinkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.pathname);
}

/** The environment the current path is in (`/env/<id>/...`), or "" outside one. */
export function currentProject(): string {
  return decodeURIComponent(path.value.match(/^\/env\/([^/]+)/)?.[1] ?? "");
}
