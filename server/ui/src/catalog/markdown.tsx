/** @jsxImportSource preact */
/**
 * A small Markdown subset as Preact elements: headings, paragraphs, lists, block quotes, fenced and
 * indented code, rules; inline code, bold, italics and links. Text always becomes text nodes (Preact
 * escapes it) and raw HTML in a README is shown as written, never parsed: a catalog repository is
 * not trusted. Links keep only http(s), mailto and relative targets.
 */
import type { ComponentChildren, VNode } from "preact";

/** Whether a link target is safe to follow (no `javascript:`, `data:` or other schemes). */
export function safeHref(url: string): string | null {
  const u = url.trim();
  if (/^(https?:|mailto:)/i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith("//")) return null;
  return u;
}

const inlineRe =
  /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|!?\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)/g;

/** The inline parts of one block of text. */
export function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(inlineRe)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const key = out.length;
    if (m[1] !== undefined) out.push(<code key={key}>{m[1]}</code>);
    else if (m[2] !== undefined || m[3] !== undefined)
      out.push(<strong key={key}>{inline(m[2] ?? m[3]!)}</strong>);
    else if (m[4] !== undefined || m[5] !== undefined) out.push(<em key={key}>{inline(m[4] ?? m[5]!)}</em>);
    else {
      // Images are shown as their alt text: a README's pictures live elsewhere (and CSP forbids them).
      const href = m[0].startsWith("!") ? null : safeHref(m[7] ?? "");
      out.push(
        href ? (
          <a key={key} href={href} rel="noopener noreferrer nofollow" target="_blank">
            {m[6]}
          </a>
        ) : (
          m[6]
        ),
      );
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const listItem = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Renders Markdown source into elements (headings two levels down: the README sits under an h2). */
export function renderMarkdown(source: string): VNode[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const out: VNode[] = [];
  let i = 0;
  const key = () => out.length;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s{0,3}(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!); i++) body.push(lines[i]!);
      i++;
      out.push(
        <pre key={key()}>
          <code>{body.join("\n")}</code>
        </pre>,
      );
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const h = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const level = Math.min(6, h[1]!.length + 2);
      const Tag = `h${level}` as "h3";
      out.push(<Tag key={key()}>{inline(h[2]!)}</Tag>);
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(<hr key={key()} />);
      i++;
      continue;
    }
    if (/^ {4}|^\t/.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && (/^ {4}|^\t/.test(lines[i]!) || !lines[i]!.trim()); i++)
        body.push(lines[i]!.replace(/^ {4}|^\t/, ""));
      out.push(
        <pre key={key()}>
          <code>{body.join("\n").trimEnd()}</code>
        </pre>,
      );
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]!); i++)
        body.push(lines[i]!.replace(/^\s{0,3}>\s?/, ""));
      out.push(<blockquote key={key()}>{renderMarkdown(body.join("\n"))}</blockquote>);
      continue;
    }
    const first = listItem.exec(line);
    if (first) {
      const ordered = /\d/.test(first[1]!);
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.trim(); i++) {
        const m = listItem.exec(lines[i]!);
        if (m) items.push(m[2]!);
        else items[items.length - 1] += ` ${lines[i]!.trim()}`;
      }
      const children = items.map((t, n) => <li key={n}>{inline(t)}</li>);
      out.push(ordered ? <ol key={key()}>{children}</ol> : <ul key={key()}>{children}</ul>);
      continue;
    }
    const para: string[] = [];
    for (
      ;
      i < lines.length &&
      lines[i]!.trim() &&
      !/^\s{0,3}(#{1,6}\s|```|~~~|>)/.test(lines[i]!) &&
      !listItem.test(lines[i]!);
      i++
    )
      para.push(lines[i]!.trim());
    if (para.length === 0) para.push(lines[i++]!.trim());
    out.push(<p key={key()}>{inline(para.join(" "))}</p>);
  }
  return out;
}
