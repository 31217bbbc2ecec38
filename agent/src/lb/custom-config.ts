/**
 * haproxy.cfg as sections of lines, and the merge of a load balancer's custom config
 * (`lbConfig.config`) over the generated one, the way Rancher's lb_config.config worked: a section
 * of the custom text (global, defaults, frontend <port>, backend <name>) that the generated config
 * also has is merged into it line by line; any other section is added whole.
 */

/** One section: its header ("global", "frontend 80"; "" for lines before any header) and its lines. */
export interface Section {
  header: string;
  lines: string[];
}

const sectionKeywords = new Set([
  "global",
  "defaults",
  "frontend",
  "backend",
  "listen",
  "userlist",
  "peers",
  "resolvers",
  "mailers",
  "program",
  "http-errors",
  "ring",
  "cache",
  "fcgi-app",
]);

/**
 * Keywords whose first argument names what they set (`option forwardfor`, `timeout client`,
 * `server web-1`), so a custom line replaces only the generated line with the same name.
 */
const namedKeywords = new Set(["option", "timeout", "acl", "server", "stats", "errorfile"]);

/** Keywords that may repeat with different meaning each time: custom lines add to them, never replace. */
const repeatableKeywords = new Set([
  "bind",
  "use_backend",
  "use-server",
  "http-request",
  "http-response",
  "http-after-response",
  "tcp-request",
  "tcp-response",
  "redirect",
  "log",
  "capture",
  "filter",
  "stick",
  "http-check",
  "tcp-check",
  "monitor",
  "setenv",
  "presetenv",
  "unsetenv",
  "resetenv",
]);

/** Normalizes a header for comparison: keyword lowercased, single spaces. */
function headerKey(header: string): string {
  const [keyword = "", ...rest] = header.trim().split(/\s+/);
  return [keyword.toLowerCase(), ...rest].join(" ");
}

/** Splits haproxy.cfg text into sections; comments and blank lines are dropped. */
export function parseSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: Section | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const keyword = line.split(/\s+/)[0]!.toLowerCase();
    if (sectionKeywords.has(keyword)) {
      current = { header: headerKey(line), lines: [] };
      sections.push(current);
      continue;
    }
    if (!current) {
      // Lines before any section are kept first, so HAProxy reports them in its own words.
      current = { header: "", lines: [] };
      sections.push(current);
    }
    current.lines.push(line);
  }
  return sections;
}

/**
 * What a line sets, for the merge: `option forwardfor` for both `option forwardfor` and
 * `no option forwardfor`, `maxconn` for `maxconn 2000`; null for a line that only adds.
 */
export function lineKey(line: string): string | null {
  let words = line.trim().split(/\s+/);
  if (words[0] === "no" && words.length > 1) words = words.slice(1);
  const keyword = words[0]!.toLowerCase();
  if (repeatableKeywords.has(keyword)) return null;
  if (namedKeywords.has(keyword)) return `${keyword} ${words[1] ?? ""}`;
  return keyword;
}

/** Rancher's `server $IP <options>` line in a custom backend: options for every generated server. */
function serverTemplate(line: string): string | null {
  const m = /^server\s+\$IP\b\s*(.*)$/.exec(line.trim());
  return m ? m[1]!.trim() : null;
}

/** Merges one custom section's lines into the generated section with the same header. */
function mergeLines(generated: string[], custom: string[]): string[] {
  const out = [...generated];
  const replaced = new Set<string>();
  for (const line of custom) {
    const template = serverTemplate(line);
    if (template !== null) {
      if (template)
        for (let i = 0; i < out.length; i++) if (/^server\s/.test(out[i]!)) out[i] = `${out[i]} ${template}`;
      continue;
    }
    const key = lineKey(line);
    if (key === null || replaced.has(key)) {
      out.push(line);
      continue;
    }
    replaced.add(key);
    const at = out.findIndex((l) => lineKey(l) === key);
    if (at < 0) {
      out.push(line);
      continue;
    }
    // The first generated line with this key takes the custom line's place; the others go.
    out[at] = line;
    for (let i = out.length - 1; i > at; i--) if (lineKey(out[i]!) === key) out.splice(i, 1);
  }
  return out;
}

/** Merges `customText` over `generated` (see the module comment); the generated sections are not changed. */
export function mergeCustom(generated: Section[], customText: string): Section[] {
  const out = generated.map((s) => ({ header: s.header, lines: [...s.lines] }));
  for (const section of parseSections(customText)) {
    const target =
      section.header === "" ? undefined : out.find((s) => headerKey(s.header) === section.header);
    if (target) target.lines = mergeLines(target.lines, section.lines);
    else if (section.header === "") out.unshift(section);
    else out.push(section);
  }
  return out;
}

/** Writes sections back as haproxy.cfg text. */
export function formatSections(sections: Section[]): string {
  return `${sections
    .map((s) => [s.header, ...s.lines.map((l) => `    ${l}`)].filter((l) => l !== "").join("\n"))
    .join("\n\n")}\n`;
}
