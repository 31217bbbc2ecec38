import type { ComponentChildren } from "preact";
import { onLinkClick, path } from "../router.ts";

/** A link inside the app: an ordinary anchor that navigates without reloading. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; label?: string }) {
  const current = path.value === props.href;
  return (
    <a
      href={props.href}
      class={props.class}
      aria-label={props.label}
      onClick={onLinkClick}
      {...(current ? { "aria-current": "page" as const } : {})}
    >
      {props.children}
    </a>
  );
}
