// A small, strict XML reader for the one XML document a datasource reads (Azure's ovf-env.xml):
// elements by local name (namespace prefixes dropped, as Azure's documents use several), their
// text, and nothing that can expand (no DOCTYPE, so no entity definitions). Anything not
// well-formed is an error naming the line and column, never a partial tree.

/** An element: its local name, its children and its text (CDATA included, entities decoded). */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/** A document that is not well-formed XML. */
export class XmlError extends Error {}

const entities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const nameRe = /^[A-Za-z_][\w.:-]*/;

/** Parses `text`; throws XmlError saying where it is not well-formed. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const where = (at = i) => {
    const before = text.slice(0, at).split("\n");
    return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  };
  const fail = (msg: string, at = i): never => {
    throw new XmlError(`${msg} at ${where(at)}`);
  };
  const decode = (raw: string, at: number) =>
    raw.replace(/&([^;\s&<]*);?/g, (whole, ent: string) => {
      if (!whole.endsWith(";")) fail(`'&' not starting an entity`, at);
      if (/^#x[0-9a-fA-F]+$/.test(ent)) return String.fromCodePoint(Number.parseInt(ent.slice(2), 16));
      if (/^#\d+$/.test(ent)) return String.fromCodePoint(Number(ent.slice(1)));
      return entities[ent] ?? fail(`unknown entity '&${ent};'`, at);
    });
  const addText = (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
    else if (t.trim()) fail("text outside the root element");
  };
  const skipTo = (end: string, what: string) => {
    const j = text.indexOf(end, i);
    if (j < 0) fail(`unterminated ${what}`);
    const body = text.slice(i, j);
    i = j + end.length;
    return body;
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt < 0) {
      addText(decode(text.slice(i), i));
      break;
    }
    if (lt > i) addText(decode(text.slice(i, lt), i));
    i = lt;
    if (text.startsWith("<?", i)) skipTo("?>", "processing instruction");
    else if (text.startsWith("<!--", i)) skipTo("-->", "comment");
    else if (text.startsWith("<![CDATA[", i)) {
      if (!stack.length) fail("CDATA outside the root element");
      i += 9;
      addText(skipTo("]]>", "CDATA section"));
    } else if (text.startsWith("<!", i)) fail("DOCTYPE and declarations are not accepted");
    else if (text.startsWith("</", i)) {
      const start = i;
      i += 2;
      const name = nameRe.exec(text.slice(i))?.[0] ?? fail("a closing tag without a name");
      i += name.length;
      skipTo(">", "closing tag");
      const open = stack.pop();
      const local = name.replace(/^.*:/, "");
      if (!open) fail(`closing tag </${name}> with nothing open`, start);
      else if (open.name !== local) fail(`closing tag </${name}> where </${open.name}> was expected`, start);
    } else {
      const start = i;
      i += 1;
      const name = nameRe.exec(text.slice(i))?.[0] ?? fail("a '<' that starts no tag");
      i += name.length;
      const tag = /^(?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*(\/?)>/.exec(text.slice(i));
      if (!tag) fail(`malformed attributes or an unclosed tag <${name}>`, start);
      i += tag![0].length;
      if (root && !stack.length) fail("a second root element", start);
      const el: XmlElement = { name: name.replace(/^.*:/, ""), children: [], text: "" };
      stack.at(-1)?.children.push(el);
      root ??= el;
      if (!tag![1]) stack.push(el);
    }
  }
  if (stack.length) fail(`<${stack.at(-1)?.name}> is never closed`);
  if (!root) fail("no root element");
  return root!;
}

/** Every descendant of `el` named `name` (local name), depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
